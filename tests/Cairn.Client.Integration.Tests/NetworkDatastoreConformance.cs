using Cairn.Client.Datastore;
using Cairn.Testing;

namespace Cairn.Client.Integration.Tests;

/// <summary>
/// The datastore conformance suite plus what a datastore over the network must also get right: batches too large for
/// one command (split into bounded commands, and by slot on a cluster), and many operations in flight on one
/// datastore, each answered with its own reply.
/// </summary>
public abstract class NetworkDatastoreConformance : DatastoreConformance
{
    [Fact]
    public async Task A_batch_of_large_values_is_split_into_bounded_commands_and_written()
    {
        var ds = await OpenTrackedAsync();
        var big = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(big);
        var batch = await ds.BatchAsync();
        for (var i = 0; i < 6; i++)
        {
            await batch.PutAsync(new Key($"/big/{i}"), big);
        }

        await batch.DeleteAsync(new Key("/big/5"));
        await batch.CommitAsync();
        Assert.Equal(big, await ds.GetAsync(new Key("/big/0")));
        Assert.False(await ds.HasAsync(new Key("/big/5")));
        var sizes = await QueryAllAsync(ds, new Query { Prefix = "/big", KeysOnly = true });
        Assert.Equal(5, sizes.Count);
        Assert.All(sizes, e => Assert.Equal(big.Length, e.Size));
    }

    [Fact]
    public async Task Concurrent_operations_on_one_datastore_each_get_their_own_reply()
    {
        var ds = await OpenTrackedAsync();
        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var key = new Key($"/c/{i}");
            await ds.PutAsync(key, B(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ct);
            Assert.Equal(B(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), await ds.GetAsync(key, ct));
        });
        Assert.Equal(200, (await QueryAllAsync(ds, new Query { Prefix = "/c", KeysOnly = true })).Count);
    }
}

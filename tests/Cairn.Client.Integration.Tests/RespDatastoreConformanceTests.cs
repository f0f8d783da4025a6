using Cairn.Client.Datastore;
using Cairn.Client.Resp;
using Cairn.Testing;

namespace Cairn.Client.Integration.Tests;

/// <summary>
/// The datastore conformance suite, run against <see cref="RespDatastore"/> talking to a real <c>cairn server</c>
/// process. Every test starts from an empty keyspace (FLUSHALL), on the one server of the class.
/// </summary>
public sealed class RespDatastoreConformanceTests(CairnServerProcess server) : DatastoreConformance, IClassFixture<CairnServerProcess>
{
    protected override async Task<IDatastore> OpenAsync()
    {
        var options = new RespClientOptions { Port = server.Port };
        await using (var admin = new RespClient(options))
        {
            await admin.ExecuteAsync(new RespCommand("FLUSHALL"));
        }

        return new RespDatastore(options);
    }

    [Fact]
    public async Task A_query_pages_through_many_keys_with_values_in_key_order()
    {
        var ds = await OpenTrackedAsync();
        var batch = await ds.BatchAsync();
        for (var i = 0; i < 1000; i++)
        {
            await batch.PutAsync(new Key($"/many/{i:D4}"), B($"value {i}"));
        }

        await batch.PutAsync(new Key("/many"), B("not a descendant"));
        await batch.PutAsync(new Key("/manyx/1"), B("not under the prefix"));
        await batch.CommitAsync();

        var results = await QueryAllAsync(ds, new Query { Prefix = "/many", Orders = [new OrderByKey()] });
        Assert.Equal(1000, results.Count);
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal($"/many/{i:D4}", results[i].Key);
            Assert.Equal(B($"value {i}"), results[i].Value);
        }
    }

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

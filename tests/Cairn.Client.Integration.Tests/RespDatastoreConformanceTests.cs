using Cairn.Client.Datastore;
using Cairn.Client.Resp;
using Cairn.Testing;

namespace Cairn.Client.Integration.Tests;

/// <summary>
/// The datastore conformance suite, run against <see cref="RespDatastore"/> talking to a real <c>cairn server</c>
/// process. Every test starts from an empty keyspace (FLUSHALL), on the one server of the class.
/// </summary>
public sealed class RespDatastoreConformanceTests(CairnServerProcess server) : NetworkDatastoreConformance, IClassFixture<CairnServerProcess>
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

}

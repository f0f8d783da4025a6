using Cairn.Client.Datastore;
using Cairn.Client.Resp;
using Cairn.Core;
using Cairn.Testing;

namespace Cairn.Client.Integration.Tests;

/// <summary>
/// The datastore conformance suite, run against <see cref="ClusterDatastore"/> talking to a real cluster of three
/// <c>cairn node</c> processes; then what only a cluster has: keys spread over every node, queries merged across
/// them, batches split by slot, and a misrouted command redirected. Every test starts from an empty cluster
/// (FLUSHALL on every node), on the one cluster of the class.
/// </summary>
public sealed class ClusterDatastoreConformanceTests(CairnClusterFixture cluster) : NetworkDatastoreConformance, IClassFixture<CairnClusterFixture>
{
    protected override async Task<IDatastore> OpenAsync()
    {
        await cluster.FlushAsync();
        return new ClusterDatastore(new ClusterRespClientOptions { Seeds = cluster.Seeds });
    }

    [Fact]
    public async Task Keys_spread_over_every_master_and_a_key_ordered_query_merges_them()
    {
        var ds = (ClusterDatastore)await OpenTrackedAsync();
        var batch = await ds.BatchAsync();
        for (var i = 0; i < 1000; i++)
        {
            await batch.PutAsync(new Key($"/many/{i:D4}"), B($"value {i}"));
        }

        await batch.PutAsync(new Key("/many"), B("not a descendant"));
        await batch.PutAsync(new Key("/manyx/1"), B("not under the prefix"));
        await batch.CommitAsync();

        // The keys landed on more than one node: each node's own scan holds only part of them.
        Assert.True(ds.Client.Masters.Count > 1, "the slot map names one master only");
        var perNode = new List<int>();
        foreach (var node in ds.Client.Nodes)
        {
            var page = ScanPrefixReply.Parse((await ds.Client.ExecuteOnNodeAsync(node, new RespCommand("CAIRN.SCANPREFIX").Add("/many/").Add("0").Add("COUNT").Add(10_000))).AsArray(), withValues: false);
            Assert.Equal("0", page.Cursor);
            perNode.Add(page.Entries.Count);
        }

        Assert.Equal(1000, perNode.Sum());
        Assert.True(perNode.Count(n => n > 0) > 1, $"one node holds every key: {string.Join(", ", perNode)}");

        var results = await QueryAllAsync(ds, new Query { Prefix = "/many", Orders = [new OrderByKey()] });
        Assert.Equal(1000, results.Count);
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal($"/many/{i:D4}", results[i].Key);
            Assert.Equal(B($"value {i}"), results[i].Value);
        }

        var page2 = await QueryAllAsync(ds, new Query { Prefix = "/many", Orders = [new OrderByKey()], Offset = 500, Limit = 3, KeysOnly = true });
        Assert.Equal(["/many/0500", "/many/0501", "/many/0502"], page2.Select(e => e.Key));
        Assert.All(page2, e => Assert.Null(e.Value));
    }

    [Fact]
    public async Task A_command_sent_to_the_wrong_node_is_moved_and_the_map_corrected()
    {
        var ds = (ClusterDatastore)await OpenTrackedAsync();
        var client = ds.Client;
        await client.RefreshAsync();
        var key = new Key("/moved/key");
        var slot = HashSlot.Of(System.Text.Encoding.UTF8.GetBytes(key.ToString()));
        var owner = client.OwnerOf(slot)!;
        var wrong = client.Nodes.First(n => n != owner);

        client.SetOwner(slot, wrong);
        var before = client.Redirects;
        await ds.PutAsync(key, B("v"));
        Assert.True(client.Redirects > before);
        Assert.Equal(owner, client.OwnerOf(slot));
        before = client.Redirects;

        // The corrected map sends the next command straight to the owner.
        Assert.Equal(B("v"), await ds.GetAsync(key));
        Assert.Equal(before, client.Redirects);

        // A whole batch on a misrouted slot is redirected too (once the reload the MOVED scheduled is done).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (client.Refreshes < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(client.Refreshes >= 2, "a MOVED did not reload the slot map");
        client.SetOwner(slot, wrong);
        var batch = await ds.BatchAsync();
        await batch.PutAsync(key, B("w"));
        await batch.PutAsync(new Key("/moved/other"), B("x"));
        await batch.CommitAsync();
        Assert.Equal(B("w"), await ds.GetAsync(key));
        Assert.Equal(B("x"), await ds.GetAsync(new Key("/moved/other")));
        Assert.True(client.Redirects > before);
    }

    [Fact]
    public async Task The_slot_map_lists_every_node_and_covers_every_slot()
    {
        await using var client = new ClusterRespClient(new ClusterRespClientOptions { Seeds = cluster.Seeds });
        await client.RefreshAsync();
        Assert.Equal(cluster.Seeds.Order(), client.Nodes.Order());
        Assert.All(Enumerable.Range(0, HashSlot.Count), slot => Assert.NotNull(client.OwnerOf(slot)));
        Assert.Equal(1, client.Refreshes);
    }

    [Fact]
    public async Task Sync_reaches_every_node()
    {
        var ds = await OpenTrackedAsync();
        await ds.PutAsync(new Key("/s/1"), B("1"));
        await ds.SyncAsync(new Key("/s"));
        Assert.True(await ds.HasAsync(new Key("/s/1")));
    }
}

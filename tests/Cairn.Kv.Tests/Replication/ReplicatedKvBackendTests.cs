using System.Text;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Replication;

namespace Cairn.Kv.Tests.Replication;

/// <summary>The cluster keyspace over real shard groups: three nodes, real RPC, real logs.</summary>
public sealed class ReplicatedKvBackendTests
{
    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private static async Task SetAsync(ShardCluster cluster, string key, string value)
    {
        await RetryAsync(cluster, async () =>
        {
            var backend = cluster.LeaderFor(key).Backend;
            var result = backend.Set(B(key), B(value), default, null);
            Assert.True(result.Written);
            await backend.WhenDoneAsync(result.Token, result.Token);
            return true;
        });
    }

    private static Task<string?> GetAsync(ShardCluster cluster, string key) => RetryAsync(cluster, async () =>
    {
        var backend = cluster.LeaderFor(key).Backend;
        var buffer = new ValueBuffer();
        var found = backend.TryGet(B(key), buffer);
        var (first, last) = backend.TakeReadTokens();
        Assert.NotEqual(0UL, last); // a leader's read always waits for a leadership check
        await backend.WhenDoneAsync(first, last);
        return found ? Encoding.UTF8.GetString(buffer.Value) : null;
    });

    /// <summary>
    /// Runs a client operation, retrying as a client does when leadership moved under it (the operation failed, or
    /// the node it picked no longer serves): a loaded machine can hold an election in the middle of a test.
    /// </summary>
    private static async Task<T> RetryAsync<T>(ShardCluster cluster, Func<Task<T>> operation)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return await operation();
            }
            catch (Exception e) when (e is ReplicationFailedException or KvException or InvalidOperationException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
                await cluster.WaitServedAsync();
            }
        }
    }

    [Fact]
    public async Task A_write_on_the_leader_is_read_back_and_reaches_every_replica()
    {
        await using var cluster = await ShardCluster.StartAsync();
        await SetAsync(cluster, "alpha", "1");
        Assert.Equal("1", await GetAsync(cluster, "alpha"));
        Assert.Null(await GetAsync(cluster, "missing"));

        await cluster.WaitAppliedAsync();
        var group = ShardCluster.GroupOf(Cairn.Core.HashSlot.Of("alpha"), cluster.Groups);
        foreach (var node in cluster.Nodes.Values)
        {
            Assert.NotNull(node.Machine(group).Engine.Get(EngineKeys.DataKey(B("alpha"))));
        }
    }

    [Fact]
    public async Task Pipelined_increments_see_each_other_before_they_commit()
    {
        await using var cluster = await ShardCluster.StartAsync();
        var attempt = 0;
        var counter = await RetryAsync(cluster, async () =>
        {
            var key = $"counter{++attempt}"; // an attempt cut short by a leader change leaves its key behind
            var backend = cluster.LeaderFor(key).Backend;
            var scratch = new ValueBuffer();
            ulong first = 0, last = 0;
            for (var i = 1; i <= 200; i++)
            {
                var token = backend.IncrementBy(B(key), 1, scratch, out var value);
                Assert.Equal(i, value);
                first = first == 0 ? token : first;
                last = token;
            }

            await backend.WhenDoneAsync(first, last);
            return key;
        });

        Assert.Equal("200", await GetAsync(cluster, counter));
        await cluster.WaitAppliedAsync();
        foreach (var node in cluster.Nodes.Values)
        {
            var group = ShardCluster.GroupOf(Cairn.Core.HashSlot.Of(counter), cluster.Groups);
            var stored = node.Machine(group).Engine.Get(EngineKeys.DataKey(B(counter)));
            Assert.NotNull(stored);
            Assert.EndsWith("200", Encoding.UTF8.GetString(stored));
        }
    }

    [Fact]
    public async Task A_node_that_does_not_lead_the_slot_redirects_with_MOVED()
    {
        await using var cluster = await ShardCluster.StartAsync();
        var leader = cluster.LeaderFor("k");
        var group = ShardCluster.GroupOf(Cairn.Core.HashSlot.Of("k"), cluster.Groups);
        var other = cluster.Nodes.Values.First(n => n != leader && !n.Backend.Serves(group));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (other.Backend.LeaderOf(group) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the follower never learnt who leads");
            await Task.Delay(10); // it learns the leader from its own Raft state, which it polls
        }

        var error = Assert.Throws<KvException>(() => other.Backend.Set(B("k"), B("v"), default, null));
        Assert.StartsWith($"MOVED {Cairn.Core.HashSlot.Of("k")} node-", error.Message);
    }

    [Fact]
    public async Task Writes_acknowledged_before_the_leader_dies_are_served_by_the_next_leader()
    {
        await using var cluster = await ShardCluster.StartAsync();
        for (var i = 0; i < 50; i++)
        {
            await SetAsync(cluster, "key" + i, "v" + i);
        }

        var victim = cluster.LeaderFor("key0").Id;
        await cluster.StopAsync(victim);
        await cluster.WaitServedAsync();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("v" + i, await GetAsync(cluster, "key" + i));
        }

        await SetAsync(cluster, "after", "x");
        cluster.Restart(victim);
        await cluster.WaitServedAsync();
        await cluster.WaitAppliedAsync();
        var group = ShardCluster.GroupOf(Cairn.Core.HashSlot.Of("after"), cluster.Groups);
        Assert.NotNull(cluster.Nodes[victim].Machine(group).Engine.Get(EngineKeys.DataKey(B("after"))));
    }

    [Fact]
    public async Task A_follower_restarted_behind_a_compacted_log_catches_up_by_a_snapshot()
    {
        await using var cluster = await ShardCluster.StartAsync(groups: 1, snapshotEntries: 40);
        var victim = cluster.Nodes.Values.First(n => !n.Backend.Serves(ShardCluster.FirstGroup)).Id;
        await cluster.StopAsync(victim);
        for (var i = 0; i < 300; i++)
        {
            await SetAsync(cluster, "key" + i, "v" + i);
        }

        await RetryAsync(cluster, async () =>
        {
            var backend = cluster.LeaderFor("key7").Backend;
            var deleted = backend.Delete(B("key7"), out _);
            await backend.WhenDoneAsync(deleted, deleted);
            return true;
        });

        cluster.Restart(victim);
        await cluster.WaitAppliedAsync();
        var status = await cluster.Nodes[victim].Host.StatusAsync(ShardCluster.FirstGroup);
        Assert.NotNull(status.Snapshot); // it was sent one: the leader's log no longer held what it missed
        var engine = cluster.Nodes[victim].Machine(ShardCluster.FirstGroup).Engine;
        for (var i = 0; i < 300; i++)
        {
            var stored = engine.Get(EngineKeys.DataKey(B("key" + i)));
            if (i == 7)
            {
                Assert.Null(stored);
            }
            else
            {
                Assert.NotNull(stored);
            }
        }
    }

    [Fact]
    public async Task Keys_expire_through_the_log()
    {
        await using var cluster = await ShardCluster.StartAsync(groups: 1);
        var expireAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3000;
        await RetryAsync(cluster, async () =>
        {
            var backend = cluster.LeaderFor("ttl").Backend;
            var result = backend.Set(B("ttl"), B("soon"), new SetOptions(SetCondition.Always, expireAt, false, false), null);
            await backend.WhenDoneAsync(result.Token, result.Token);
            return true;
        });
        Assert.Equal("soon", await GetAsync(cluster, "ttl"));
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, expireAt - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 200)));
        Assert.Null(await GetAsync(cluster, "ttl"));

        // The sweep (or the read) deleted it through the log: followers drop it too.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (cluster.Nodes.Values.Any(n => n.Machine(ShardCluster.FirstGroup).Engine.Get(EngineKeys.DataKey(B("ttl"))) is not null))
        {
            Assert.True(DateTime.UtcNow < deadline, "followers still hold the expired key");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Writes_acknowledged_while_leadership_moves_are_all_read_back()
    {
        await using var cluster = await ShardCluster.StartAsync(groups: 1);
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();

        async Task WriteAsync(int writer)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = $"w{writer}:{n}";
                try
                {
                    var backend = cluster.LeaderFor(key).Backend;
                    var result = backend.Set(B(key), B("v" + n), default, null);
                    await backend.WhenDoneAsync(result.Token, result.Token);
                    acknowledged[key] = "v" + n;
                }
                catch (Exception e) when (e is KvException or ReplicationFailedException or InvalidOperationException)
                {
                    await Task.Delay(5);
                }
            }
        }

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WriteAsync(w))).ToArray();
        for (var i = 0; i < 6; i++)
        {
            await Task.Delay(300);
            var leader = cluster.LeaderFor("x");
            var target = cluster.Nodes.Keys.First(id => id != leader.Id);
            leader.Host.TransferLeadership(ShardCluster.FirstGroup, target);
            await Task.Delay(200);
            await cluster.WaitServedAsync();
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers);
        await cluster.WaitServedAsync();
        Assert.True(acknowledged.Count > 100, $"only {acknowledged.Count} writes acknowledged");
        var missing = new List<string>();
        foreach (var (key, value) in acknowledged)
        {
            string? read = null;
            for (var attempt = 0; attempt < 50; attempt++)
            {
                try
                {
                    read = await GetAsync(cluster, key);
                    break;
                }
                catch (Exception e) when (e is KvException or ReplicationFailedException or InvalidOperationException)
                {
                    await Task.Delay(20);
                }
            }

            if (read != value)
            {
                missing.Add($"{key}={read ?? "nil"}");
            }
        }

        Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged writes are not read back: {string.Join(", ", missing.Take(10))}");
    }
}

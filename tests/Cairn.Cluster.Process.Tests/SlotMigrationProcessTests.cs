using System.Collections.Concurrent;
using System.Globalization;
using Cairn.Client.Resp;
using Cairn.Core;
using Cairn.Testing;
using Xunit.Abstractions;

namespace Cairn.Cluster.Process.Tests;

/// <summary>
/// Moving slots between shard groups of a running cluster with <c>cairn admin move-slots</c>, while clients write
/// to exactly those slots: nothing acknowledged is lost, a key's last acknowledged update is never undone, and the
/// source group keeps no copy of what it gave away. Then the same with a node killed (kill -9) mid-way.
/// </summary>
[Trait("Category", "Process")]
public sealed class SlotMigrationProcessTests(ITestOutputHelper output)
{
    /// <summary>Group 2, the first shard group, owns slots 0-2730 in a fresh 3-node cluster.</summary>
    private const int SourceSlots = 2731;

    [Fact]
    public async Task Slots_moved_back_and_forth_under_load_keep_every_acknowledged_write_and_leave_no_copy_behind()
    {
        await using var cluster = await ProcessCluster.StartAsync(3, output);
        await using var load = new MovingSlotLoad(cluster, output);
        await load.RunAsync(async () =>
        {
            await MoveAsync(cluster, 0, "--from", "2", "--to", "3", "--slots", "1000-2730");
            await MoveAsync(cluster, 1, "--from", "3", "--to", "2", "--slots", "2000-2730");
        });

        var owned3 = await cluster.AskAsync(1, "CAIRN.ADMIN", "SLOTS", "3");
        Assert.StartsWith("1000-1999,2731-", owned3, StringComparison.Ordinal);
        Assert.Equal("0-999,2000-2730", await cluster.AskAsync(2, "CAIRN.ADMIN", "SLOTS", "2"));
        await load.VerifyAsync();

        // Each moved slot's keys live in one group only: once the moves committed, the groups that gave slots away
        // deleted their copies. DBSIZE counts every key a node's groups hold; SCAN only those of slots they own.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var held = (await Task.WhenAll(Enumerable.Range(0, 3).Select(n => cluster.ExecuteAsync(n, new RespCommand("DBSIZE"))))).Sum(r => r.AsInteger());
            var owned = (await Task.WhenAll(Enumerable.Range(0, 3).Select(n => ScanCountAsync(cluster, n)))).Sum();
            if (held == owned)
            {
                output.WriteLine($"{held} keys held, all in slots their groups own");
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the groups hold {held} keys but own only {owned}: a copy was left behind");
            await Task.Delay(500);
        }
    }

    /// <summary>How many keys <c>SCAN</c> on node <paramref name="node"/> walks (those of slots its groups own).</summary>
    private static async Task<long> ScanCountAsync(ProcessCluster cluster, int node)
    {
        long count = 0;
        var cursor = "0";
        do
        {
            var page = (await cluster.ExecuteAsync(node, new RespCommand("SCAN").Add(cursor).Add("COUNT").Add("1000"))).AsArray();
            cursor = page[0].AsString() ?? "0";
            count += page[1].AsArray().Count;
        }
        while (cursor != "0");
        return count;
    }

    [Fact]
    public async Task A_migration_survives_kill_9_of_the_source_leader_and_every_acknowledged_write_is_kept()
    {
        await using var cluster = await ProcessCluster.StartAsync(3, output);
        await using var load = new MovingSlotLoad(cluster, output);
        await load.RunAsync(async () =>
        {
            var move = CairnProcess.RunToExitAsync(["admin", "move-slots", "--seed", cluster.Address(1), "--from", "2", "--to", "4", "--slots", "0-2730", "--timeout", "120"], TimeSpan.FromSeconds(150));
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            // Node 1 leads group 2 (the source) when the cluster starts: kill it mid-move, then bring it back.
            cluster.Node(0).Kill();
            await Task.Delay(TimeSpan.FromSeconds(2));
            await cluster.RestartAsync(0);
            var result = await move;
            output.WriteLine($"cairn admin move-slots: {result}");
            Assert.True(result.ExitCode == 0, result.ToString());
        });

        await cluster.WaitForStateOkAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(string.Empty, await cluster.AskAsync(1, "CAIRN.ADMIN", "SLOTS", "2"));
        await load.VerifyAsync();
    }

    private async Task MoveAsync(ProcessCluster cluster, int seed, params string[] args)
    {
        var result = await CairnProcess.RunToExitAsync(["admin", "move-slots", "--seed", cluster.Address(seed), .. args, "--timeout", "120"], TimeSpan.FromSeconds(150));
        output.WriteLine($"cairn admin move-slots {string.Join(' ', args)}: {result}");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("slots from group", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// Writers that only touch group 2's slots (0-2730): new keys, and a few hot keys overwritten with increasing
    /// numbers, recording what was acknowledged.
    /// </summary>
    private sealed class MovingSlotLoad(ProcessCluster cluster, ITestOutputHelper output) : IAsyncDisposable
    {
        private const int Writers = 4;
        private const int HotKeys = 16;
        private readonly ClusterClient _client = new([.. Enumerable.Range(0, cluster.Count).Select(cluster.Address)]);
        private readonly ConcurrentDictionary<string, string> _acknowledged = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, long> _hotAcknowledged = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, long> _hotAttempted = new(StringComparer.Ordinal);
        private int _retried;

        public async Task RunAsync(Func<Task> whileWriting)
        {
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(w, stop.Token))).ToArray();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                await whileWriting();
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            finally
            {
                await stop.CancelAsync();
                await Task.WhenAll(writers);
            }

            output.WriteLine($"{_acknowledged.Count} keys and {_hotAcknowledged.Count} hot keys acknowledged; {_retried} writes answered TRYAGAIN, MOVED or CLUSTERDOWN at the end of their redirects");
            Assert.True(_acknowledged.Count > 200, $"only {_acknowledged.Count} writes were acknowledged");
        }

        public async Task VerifyAsync()
        {
            foreach (var (key, value) in _acknowledged)
            {
                var reply = await _client.ExecuteUntilAnsweredAsync(key, new RespCommand("GET").Add(key), TimeSpan.FromSeconds(15));
                Assert.True(reply.AsString() == value, $"{key} (slot {HashSlot.Of(key)}): expected {value}, read {reply.AsString() ?? "nil"}");
            }

            foreach (var (key, acknowledged) in _hotAcknowledged)
            {
                var reply = await _client.ExecuteUntilAnsweredAsync(key, new RespCommand("GET").Add(key), TimeSpan.FromSeconds(15));
                var read = long.Parse(reply.AsString() ?? "-1", CultureInfo.InvariantCulture);

                // A write whose outcome was unknown may have landed after the last acknowledged one; nothing may undo that one.
                Assert.True(read >= acknowledged && read <= _hotAttempted[key], $"{key} (slot {HashSlot.Of(key)}): read {read}, last acknowledged {acknowledged}, last attempted {_hotAttempted[key]}");
            }
        }

        public ValueTask DisposeAsync() => _client.DisposeAsync();

        private async Task WriteAsync(int writer, CancellationToken stop)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var hot = n % 4 == 0;
                var key = hot ? KeyInSource($"hot{writer}:{n / 4 % HotKeys}:") : KeyInSource($"m{writer}:{n}:");
                var value = hot ? n.ToString(CultureInfo.InvariantCulture) : $"v{n}";
                if (hot)
                {
                    _hotAttempted[key] = n;
                }

                try
                {
                    var reply = await _client.ExecuteAsync(key, new RespCommand("SET").Add(key).Add(value), cancellationToken: CancellationToken.None);
                    if (reply.Kind == RespReplyKind.SimpleString && reply.Text == "OK")
                    {
                        if (hot)
                        {
                            _hotAcknowledged[key] = n;
                        }
                        else
                        {
                            _acknowledged[key] = value;
                        }

                        continue;
                    }

                    Interlocked.Increment(ref _retried);
                }
                catch (RespConnectionException)
                {
                }

                await Task.Delay(20, CancellationToken.None);
            }
        }

        /// <summary>The first key <c>prefix + i</c> whose slot group 2 owned at the start (deterministic per prefix).</summary>
        private static string KeyInSource(string prefix)
        {
            for (var i = 0; ; i++)
            {
                var key = prefix + i.ToString(CultureInfo.InvariantCulture);
                if (HashSlot.Of(key) < SourceSlots)
                {
                    return key;
                }
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Cairn.Client.Resp;
using Cairn.Core;
using Cairn.Testing;
using Xunit.Abstractions;

namespace Cairn.Cluster.Process.Tests;

/// <summary>
/// Three real <c>cairn node</c> processes from <c>cairn config cluster</c>, driven by redis-cli, redis-benchmark and an
/// in-test cluster client, with kill -9 and SIGTERM of nodes. Needs redis-cli and redis-benchmark (redis-tools).
/// </summary>
[Trait("Category", "Process")]
public sealed class ClusterProcessTests(ITestOutputHelper output)
{
    private const int Nodes = 3;

    [Fact]
    public async Task Three_nodes_from_cairn_config_cluster_serve_every_slot_and_redis_cli_follows_redirects()
    {
        ExternalTool.Require("redis-tools", "redis-cli");
        await using var cluster = await ProcessCluster.StartAsync(Nodes, output);

        var keys = Enumerable.Range(0, 20).Select(i => $"key:{i}").ToArray();
        output.WriteLine("slots: " + string.Join(' ', keys.Select(k => HashSlot.Of(k))));
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal("OK", await RedisCliAsync(cluster.Port(i % Nodes), "SET", keys[i], $"value-{i}"));
        }

        // Each key read back through a node other than the one it was written through.
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal($"value-{i}", await RedisCliAsync(cluster.Port((i + 1) % Nodes), "GET", keys[i]));
        }

        for (var node = 0; node < Nodes; node++)
        {
            Assert.Contains("cluster_state:ok", await cluster.AskAsync(node, "CLUSTER", "INFO"), StringComparison.Ordinal);
        }

        var check = await ExternalTool.RunAsync("redis-cli", ["--cluster", "check", cluster.Address(0)]);
        output.WriteLine($"redis-cli --cluster check: {check}");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("[OK] All 16384 slots covered", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("[OK] All nodes agree about slots configuration", check.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redis_benchmark_cluster_mode_runs_against_the_cluster()
    {
        ExternalTool.Require("redis-tools", "redis-benchmark");
        await using var cluster = await ProcessCluster.StartAsync(Nodes, output);

        var bench = await ExternalTool.RunAsync(
            "redis-benchmark",
            ["-h", "127.0.0.1", "-p", cluster.Port(0).ToString(CultureInfo.InvariantCulture), "--cluster", "-t", "set,get", "-n", "2000", "-c", "10", "-q"],
            TimeSpan.FromSeconds(90));
        output.WriteLine($"redis-benchmark: {bench}");
        Assert.True(bench.ExitCode == 0, bench.ToString());
        Assert.Matches(RequestsPerSecond("SET"), bench.Stdout);
        Assert.Matches(RequestsPerSecond("GET"), bench.Stdout);
    }

    [Fact]
    public async Task Kill_9_of_a_leader_under_load_loses_no_acknowledged_write_and_writes_resume()
    {
        await using var cluster = await ProcessCluster.StartAsync(Nodes, output);
        await using var client = new ClusterClient(cluster.Addresses);
        string[] survivors = [];
        var restart = -1;

        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var acks = new ConcurrentQueue<(TimeSpan At, int Slot, string Node)>();
        var clock = Stopwatch.StartNew();
        var failures = 0;
        using var stop = new CancellationTokenSource();

        async Task WriteAsync(int writer)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = $"w{writer}:{n}";
                var value = $"v{writer}-{n}-{Guid.NewGuid():N}";
                try
                {
                    var (reply, node) = await client.ExecuteAtAsync(key, new RespCommand("SET").Add(key).Add(value));
                    if (reply.Kind == RespReplyKind.SimpleString && reply.Text == "OK")
                    {
                        acknowledged[key] = value;
                        acks.Enqueue((clock.Elapsed, HashSlot.Of(key), node));
                        continue;
                    }
                }
                catch (RespConnectionException)
                {
                }

                // Not acknowledged (refused, reset, timed out, CLUSTERDOWN...): the write may or may not have happened.
                Interlocked.Increment(ref failures);
                await Task.Delay(20);
            }
        }

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WriteAsync(w))).ToArray();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.True(!acks.IsEmpty, $"no write was acknowledged in the first 2 s ({failures} failed attempts)");

            // The node leading the most slots right now is the victim; its slots are the ones that must fail over.
            var lookedAt = clock.Elapsed;
            var leaders = await cluster.SelfLedSlotsAsync();
            output.WriteLine($"CLUSTER NODES of every node took {(clock.Elapsed - lookedAt).TotalMilliseconds:F0} ms");
            var victim = leaders.MaxBy(kv => kv.Value.Count(s => s)).Key;
            var victimSlots = leaders[victim];
            output.WriteLine("slots led: " + string.Join(", ", leaders.Select(kv => $"node {kv.Key}: {kv.Value.Count(s => s)}")));

            // The clock starts once the process is gone: a reply read after that cannot come from it.
            cluster.Node(victim).Kill();
            var killedAt = clock.Elapsed;
            output.WriteLine($"kill -9 node {victim} (port {cluster.Port(victim)}) at {killedAt.TotalSeconds:F2} s, after {acks.Count} acknowledged writes");
            survivors = [.. Enumerable.Range(0, Nodes).Where(i => i != victim).Select(cluster.Address)];
            restart = victim;

            // Writes to the victim's slots must succeed again within 10 s.
            (TimeSpan At, int Slot, string Node)? FirstAfterKill() => acks.Where(a => a.At > killedAt && victimSlots[a.Slot]).OrderBy(a => a.At).Cast<(TimeSpan, int, string)?>().FirstOrDefault();
            while (FirstAfterKill() is null && clock.Elapsed - killedAt < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }

            var first = FirstAfterKill();
            Assert.True(first is not null, $"no write to the killed node's slots was acknowledged within 10 s of the kill ({failures} failed attempts)");
            var resumed = first.Value.At;
            var lastBefore = acks.Where(a => a.At <= killedAt && victimSlots[a.Slot]).Select(a => a.At).DefaultIfEmpty(TimeSpan.Zero).Max();
            output.WriteLine($"failover: writes to the killed leader's slots resumed {(resumed - killedAt).TotalMilliseconds:F0} ms after kill -9 (slot {first.Value.Slot} on {first.Value.Node}; "
                + $"gap since the last acknowledged write to them before it: {(resumed - lastBefore).TotalMilliseconds:F0} ms)");
            var elsewhere = acks.Where(a => a.At > lookedAt && a.At <= killedAt && victimSlots[a.Slot] && a.Node != cluster.Address(victim)).ToList();
            output.WriteLine($"writes to the victim's slots acknowledged by other nodes between its CLUSTER NODES and the kill: {elsewhere.Count}"
                + string.Concat(elsewhere.Take(5).Select(a => $"; slot {a.Slot} by {a.Node} at {a.At.TotalSeconds:F3} s")));

            // Keep writing on the new leaders: writes to the failed-over slots must keep succeeding.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var afterResume = acks.Count(a => a.At > resumed && victimSlots[a.Slot]);
            output.WriteLine($"{afterResume} writes to the failed-over slots acknowledged in the following second");
            Assert.True(afterResume >= 10, $"only {afterResume} writes to the failed-over slots were acknowledged in the second after they resumed ({failures} failed attempts)");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        output.WriteLine($"{acknowledged.Count} writes acknowledged, {failures} attempts not acknowledged");

        // What clients route by moves off the dead node too: the survivors' CLUSTER NODES give it no slots.
        var routed = Stopwatch.StartNew();
        while (true)
        {
            var views = await Task.WhenAll(Enumerable.Range(0, Nodes).Where(i => i != restart).Select(cluster.SlotLeadersAsync));
            var stale = views.Sum(v => v[restart].Count(s => s));
            if (stale == 0)
            {
                break;
            }

            Assert.True(routed.Elapsed < TimeSpan.FromSeconds(10), $"10 s after the failover, the survivors' CLUSTER NODES still give the dead node {stale} slots");
            await Task.Delay(100);
        }

        output.WriteLine($"the survivors' CLUSTER NODES gave the dead node no slots {routed.ElapsedMilliseconds} ms after the writers stopped");
        await cluster.WaitForStateOkAsync(TimeSpan.FromSeconds(10));
        await cluster.RestartAsync(restart);
        await cluster.WaitForStateOkAsync(TimeSpan.FromSeconds(30));

        // Every acknowledged write is there, read with redirects from the nodes that were never killed.
        await VerifyAllAsync(client, acknowledged, survivors);
    }

    [Fact]
    public async Task A_node_restarted_after_a_clean_stop_rejoins_and_keeps_its_data()
    {
        await using var cluster = await ProcessCluster.StartAsync(Nodes, output);
        await using var client = new ClusterClient(cluster.Addresses);
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 30; i++)
        {
            await SetAsync(client, written, $"before:{i}", $"b{i}");
        }

        const int stopped = 1;
        var exitCode = await cluster.Node(stopped).TerminateAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"SIGTERM node {stopped}: exit code {exitCode}");
        Assert.Equal(0, exitCode);

        var survivors = new[] { cluster.Address(0), cluster.Address(2) };
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 30; i++)
        {
            await SetAsync(client, written, $"during:{i}", $"d{i}", () => survivors[Random.Shared.Next(survivors.Length)]);
        }

        output.WriteLine($"30 writes with node {stopped} stopped took {clock.ElapsedMilliseconds} ms");
        await VerifyAllAsync(client, written, survivors);

        await cluster.RestartAsync(stopped);
        await cluster.WaitForStateOkAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("cluster_state:ok", await cluster.AskAsync(stopped, "CLUSTER", "INFO"), StringComparison.Ordinal);
        for (var i = 0; i < 10; i++)
        {
            await SetAsync(client, written, $"after:{i}", $"a{i}");
        }

        // Through the restarted node (following redirects), then through every node.
        await VerifyAllAsync(client, written, [cluster.Address(stopped)]);
        await VerifyAllAsync(client, written, cluster.Addresses);
    }

    private static Regex RequestsPerSecond(string command) =>
        new($@"(^|[\r\n]){command}: [0-9]+(\.[0-9]+)? requests per second", RegexOptions.CultureInvariant);

    private static async Task SetAsync(ClusterClient client, Dictionary<string, string> written, string key, string value, Func<string?>? entry = null)
    {
        var reply = await client.ExecuteUntilAnsweredAsync(key, new RespCommand("SET").Add(key).Add(value), TimeSpan.FromSeconds(15), entry);
        Assert.Equal("OK", reply.AsString());
        written[key] = value;
    }

    /// <summary>Reads every key (GET, following redirects) from entry nodes taken in turn; all must hold their value.</summary>
    private async Task VerifyAllAsync(ClusterClient client, IReadOnlyDictionary<string, string> expected, IReadOnlyList<string> entries)
    {
        var clock = Stopwatch.StartNew();
        var missing = new ConcurrentBag<string>();
        var keys = expected.Keys.ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Length), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var key = keys[i];
            var entry = entries[i % entries.Count];
            var reply = await client.ExecuteUntilAnsweredAsync(key, new RespCommand("GET").Add(key), TimeSpan.FromSeconds(15), () => entry);
            if (reply.AsString() != expected[key])
            {
                missing.Add($"{key} (slot {HashSlot.Of(key)}, via {entry}): expected {expected[key]}, got {(reply.IsNull ? "nil" : reply.AsString())}");
            }
        });
        output.WriteLine($"read back {keys.Length} keys through {string.Join(',', entries)} in {clock.ElapsedMilliseconds} ms");
        Assert.True(missing.IsEmpty, $"{missing.Count} of {keys.Length} acknowledged writes are missing or wrong:\n{string.Join('\n', missing.Take(50))}");
    }

    private async Task<string> RedisCliAsync(int port, params string[] command)
    {
        var result = await ExternalTool.RunAsync("redis-cli", ["-c", "-p", port.ToString(CultureInfo.InvariantCulture), .. command], TimeSpan.FromSeconds(30));
        output.WriteLine($"redis-cli -c -p {port} {string.Join(' ', command)}: {result.Stdout.Trim()}");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.TrimEnd('\n');
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using Cairn.Raft.Hosting;
using Cairn.Raft.Hosting.Protocol;
using Cairn.Rpc;
using Cairn.Simulation.Checking;
using Cairn.Simulation.Clients;
using Cairn.Testing;
using Xunit.Abstractions;

namespace Cairn.Raft.Process.Tests;

/// <summary>
/// Three real <c>cairn raft-node</c> processes under client load while members are killed with SIGKILL, restarted
/// and partitioned (connections closed, traffic dropped); the recorded history must be linearizable, checked by the
/// simulator's checker. CAIRN_SEED picks the fault schedule and the clients' choices.
/// </summary>
public sealed class ThreeProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-raft-process-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Kill_nine_restarts_and_partitions_keep_the_register_linearizable()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CAIRN_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : Environment.TickCount;
        output.WriteLine($"seed {seed} (replay: dotnet test tests/Cairn.Raft.Process.Tests -e CAIRN_SEED={seed})");
        var random = new Random(seed);
        var secret = "process-test-secret-" + Guid.NewGuid().ToString("N");
        var ports = LoopbackPorts.Free(3);
        var peers = string.Join(',', ports.Select((p, i) => $"{i + 1}=127.0.0.1:{p}"));
        var endpoints = ports.Select(p => $"127.0.0.1:{p}").ToArray();
        var nodes = Enumerable.Range(1, 3).Select(i => new RaftNodeProcess((ulong)i, peers, Path.Combine(_root, $"n{i}"), secret)).ToArray();
        try
        {
            foreach (var node in nodes)
            {
                node.Start();
            }

            var history = new List<Operation>();
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 4).Select(i => new RegisterClient(endpoints, secret, history, new Random(random.Next()))).ToList();
            var load = clients.Select(c => Task.Run(() => c.RunAsync(stop.Token))).ToList();

            // The fault schedule: two kill -9 / restart rounds and a partition, a couple of seconds apart.
            await Task.Delay(2500);
            var victim = nodes[random.Next(3)];
            output.WriteLine($"kill -9 node {victim.Id}");
            victim.Kill();
            await Task.Delay(1500);
            victim.Start();
            await Task.Delay(2000);

            var isolated = (ulong)random.Next(1, 4);
            output.WriteLine($"partition node {isolated} for 3 s");
            await IsolateAsync(endpoints, secret, isolated, TimeSpan.FromSeconds(3));
            await Task.Delay(4000);

            var all = nodes[random.Next(3)];
            output.WriteLine($"kill -9 node {all.Id}, and restart every node");
            all.Kill();
            foreach (var node in nodes.Where(n => n.IsRunning))
            {
                node.Kill();
            }

            foreach (var node in nodes)
            {
                node.Start();
            }

            await Task.Delay(3000);
            await stop.CancelAsync();
            await Task.WhenAll(load);
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            var completed = history.Count(o => o.Return is not null);
            output.WriteLine($"{history.Count} operations, {completed} completed, {history.Count - completed} with unknown outcome");
            Assert.True(completed >= 50, $"only {completed} operations completed; the cluster barely served:\n{string.Join("\n", nodes.Select(n => n.Output))}");
            var result = LinearizabilityChecker.Check(history);
            Assert.False(result.Inconclusive, $"seed {seed}: the checker ran out of budget: {result.Explanation}");
            Assert.True(result.IsLinearizable, $"seed {seed}: not linearizable: {result.Explanation}");
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>Cuts <paramref name="isolated"/> off from the others, on both sides of each link.</summary>
    private static async Task IsolateAsync(string[] endpoints, string secret, ulong isolated, TimeSpan duration)
    {
        var options = new RpcOptions { NodeId = "fault-injector", ClusterSecret = Encoding.UTF8.GetBytes(secret) };
        var others = Enumerable.Range(1, endpoints.Length).Select(i => (ulong)i).Where(i => i != isolated).ToList();
        for (var i = 0; i < endpoints.Length; i++)
        {
            var node = (ulong)(i + 1);
            var request = new IsolateRequest { Millis = (uint)duration.TotalMilliseconds };
            request.Peers.AddRange(node == isolated ? others : [isolated]);
            await using var peer = new RpcPeer(IPEndPoint.Parse(endpoints[i]), options);
            await peer.CallAsync(RegisterMethods.Isolate, request, timeout: TimeSpan.FromSeconds(5));
        }
    }
}

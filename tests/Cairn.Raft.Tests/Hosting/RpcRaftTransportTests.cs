using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Cairn.Raft.Hosting;
using Cairn.Rpc;

namespace Cairn.Raft.Tests.Hosting;

/// <summary>Three hosts over real <see cref="RpcRaftTransport"/>s and servers: one TCP connection per pair.</summary>
public sealed class RpcRaftTransportTests : IAsyncLifetime
{
    private const ulong Group = 1;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-raft-rpc-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly List<Node> _nodes = [];

    public Task InitializeAsync()
    {
        var servers = Enumerable.Range(1, 3).ToDictionary(i => (ulong)i, i => (Options: Options((ulong)i), Router: new RpcRouter()));
        var started = servers.ToDictionary(s => s.Key, s =>
        {
            var server = new RpcServer(s.Value.Options, s.Value.Router);
            server.Start(new IPEndPoint(IPAddress.Loopback, 0));
            return server;
        });
        var addresses = started.ToDictionary(s => s.Key, s => (EndPoint)s.Value.LocalEndPoint!);
        foreach (var (id, server) in started)
        {
            var transport = new RpcRaftTransport(id, addresses, servers[id].Options);
            var log = SharedRaftLog.Open(Path.Combine(_root, id.ToString(CultureInfo.InvariantCulture)));
            var host = new RaftHost(new RaftHostOptions { NodeId = id, TickInterval = TimeSpan.FromMilliseconds(10), Seed = (int)id }, log, transport);
            var machine = new RegisterMachine();
            host.AddGroup(Group, [1, 2, 3], machine);
            transport.MapInbound(servers[id].Router, host);
            transport.Attach(server);
            _nodes.Add(new Node(id, server, transport, host, log, machine));
        }

        foreach (var node in _nodes)
        {
            node.Host.Start();
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            node.Host.Dispose();
            await node.Transport.DisposeAsync();
            await node.Server.DisposeAsync();
            node.Log.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Three_hosts_replicate_over_one_connection_per_pair_dialed_by_the_smaller_id()
    {
        await SetAsync("k", "v1");
        await WaitAppliedAsync("k", "v1");

        // Node 1 dials 2 and 3, node 2 dials 3: servers accept 0, 1 and 2 connections, and never had to accept more.
        await PollAsync(() => _nodes.Select(n => n.Server.ConnectionCount).SequenceEqual([0, 1, 2]), "one connection per pair");
        Assert.Equal([0L, 1L, 2L], _nodes.Select(n => n.Server.AcceptedCount));
    }

    [Fact]
    public async Task An_isolated_node_is_cut_off_and_rejoins_over_one_connection_per_pair()
    {
        await SetAsync("k", "before");
        await WaitAppliedAsync("k", "before");
        var isolated = _nodes[1]; // node 2: it accepts node 1 and dials node 3
        var cut = TimeSpan.FromSeconds(2);
        isolated.Transport.Isolate([1, 3], cut);
        _nodes[0].Transport.Isolate([2], cut);
        _nodes[2].Transport.Isolate([2], cut);

        Assert.True(isolated.Transport.IsCut(1));
        await SetAsync("k", "during", exceptNode: 2);
        var seenByIsolated = isolated.Machine.Read("k");
        if (isolated.Transport.IsCut(1) && isolated.Transport.IsCut(3))
        {
            Assert.NotEqual("during", seenByIsolated); // nothing reached it while cut
        }

        await WaitAppliedAsync("k", "during");
        await PollAsync(() => _nodes.Select(n => n.Server.ConnectionCount).SequenceEqual([0, 1, 2]), "every pair to reconnect, once");
    }

    [Fact]
    public async Task Attaching_twice_is_refused()
    {
        var node = _nodes[0];
        await using var other = new RpcServer(Options(1), new RpcRouter());

        Assert.Throws<InvalidOperationException>(() => node.Transport.Attach(other));
        Assert.Throws<ArgumentException>(() => new RpcRaftTransport(1, new Dictionary<ulong, EndPoint>(), Options(2)));
    }

    private RpcOptions Options(ulong id) => new() { NodeId = id.ToString(CultureInfo.InvariantCulture), ClusterSecret = _secret };

    /// <summary>Proposes through each node in turn until one, the leader, commits it.</summary>
    private async Task SetAsync(string key, string value, ulong exceptNode = 0)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            foreach (var node in _nodes.Where(n => n.Id != exceptNode))
            {
                try
                {
                    await node.Host.ProposeAsync(Group, Encoding.UTF8.GetBytes($"{key}={value}")).WaitAsync(TimeSpan.FromSeconds(2));
                    return;
                }
                catch (Exception e) when (e is NotLeaderException or ProposalDroppedException or TimeoutException)
                {
                    // Not the leader (yet), or the proposal was dropped: try the next node.
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"{key}={value} was not committed within 20 s");
            await Task.Delay(10);
        }
    }

    private Task WaitAppliedAsync(string key, string value) =>
        PollAsync(() => _nodes.All(n => n.Machine.Read(key) == value), $"{key}={value} applied everywhere");

    private static async Task PollAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    private sealed record Node(ulong Id, RpcServer Server, RpcRaftTransport Transport, RaftHost Host, SharedRaftLog Log, RegisterMachine Machine);
}

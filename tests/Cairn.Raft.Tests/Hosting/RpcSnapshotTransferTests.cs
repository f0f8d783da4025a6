using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Cairn.Raft.Hosting;
using Cairn.Rpc;

namespace Cairn.Raft.Tests.Hosting;

/// <summary>Snapshots streamed between hosts over real Cairn.Rpc connections on loopback.</summary>
public sealed class RpcSnapshotTransferTests : IAsyncDisposable
{
    private const ulong Group = 3;
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("rpc-snapshot-transfer-test-secret");
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-rpc-snap-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<ulong, EndPoint> _addresses = Enumerable.Range(1, 3).ToDictionary(i => (ulong)i, _ => (EndPoint)new IPEndPoint(IPAddress.Loopback, FreePort()));
    private readonly Dictionary<ulong, (RaftHost Host, SharedRaftLog Log, RpcRaftTransport Transport, RpcServer Server, RegisterMachine Machine)> _nodes = [];

    [Fact]
    public async Task A_follower_that_was_down_catches_up_by_a_snapshot_streamed_over_rpc()
    {
        Start(1);
        Start(2);
        for (var i = 0; i < 120; i++)
        {
            await Set($"k{i}", new string('x', 1000) + i);
        }

        Start(3);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_nodes[3].Machine.Read("k119") != new string('x', 1000) + 119)
        {
            Assert.True(DateTime.UtcNow < deadline, "node 3 did not catch up");
            await Task.Delay(10);
        }

        Assert.True(_nodes[3].Machine.SnapshotsRestored >= 1, "node 3 caught up from a snapshot");
        Assert.Equal(120, _nodes[3].Machine.Count);
        var status = await _nodes[3].Host.StatusAsync(Group);
        Assert.NotNull(status.Snapshot);
    }

    [Fact]
    public async Task A_node_added_at_run_time_is_reached_over_rpc_and_catches_up_as_a_learner()
    {
        Start(1);
        Start(2);
        Start(3);
        for (var i = 0; i < 80; i++)
        {
            await Set($"k{i}", $"v{i}");
        }

        _addresses[4] = new IPEndPoint(IPAddress.Loopback, FreePort());
        Start(4);
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            _nodes[id].Transport.AddPeer(4, _addresses[4]);
        }

        var leader = await LeaderAsync();
        await _nodes[leader].Host.ProposeConfChangeAsync(Group, new ConfChange(ConfChangeType.AddLearner, 4));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_nodes[4].Machine.Read("k79") != "v79")
        {
            Assert.True(DateTime.UtcNow < deadline, "node 4 did not catch up");
            await Task.Delay(10);
        }

        Assert.True(_nodes[4].Machine.SnapshotsRestored >= 1, "node 4 caught up from a snapshot");
        Assert.Contains(4UL, (await _nodes[leader].Host.StatusAsync(Group)).Membership!.Learners);
    }

    private async Task<ulong> LeaderAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            foreach (var (id, node) in _nodes)
            {
                if ((await node.Host.StatusAsync(Group)).Role == RaftRole.Leader)
                {
                    return id;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "no leader");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (host, log, transport, server, _) in _nodes.Values)
        {
            host.Dispose();
            await server.DisposeAsync();
            await transport.DisposeAsync();
            log.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    private void Start(ulong id)
    {
        var options = new RpcOptions { NodeId = id.ToString(CultureInfo.InvariantCulture), ClusterSecret = Secret, StreamWindowBytes = 64 << 10, StreamChunkBytes = 16 << 10 };
        var log = SharedRaftLog.Open(Path.Combine(_root, id.ToString(CultureInfo.InvariantCulture)));
        var transport = new RpcRaftTransport(id, new Dictionary<ulong, EndPoint>(_addresses), options);
        var host = new RaftHost(
            new RaftHostOptions { NodeId = id, TickInterval = TimeSpan.FromMilliseconds(10), SnapshotEntries = 30, CatchUpEntries = 0, HibernateAfterTicks = 0, Seed = (int)id },
            log,
            transport);
        var machine = new RegisterMachine();
        host.AddGroup(Group, [1, 2, 3], machine); // node 4, when started, joins without being one of them
        var router = new RpcRouter();
        transport.MapInbound(router, host);
        var server = new RpcServer(options, router);
        server.Start((IPEndPoint)_addresses[id]);
        transport.Attach(server);
        host.Start();
        _nodes[id] = (host, log, transport, server, machine);
    }

    private async Task Set(string key, string value)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var next = 1UL;
        while (true)
        {
            try
            {
                await _nodes[next].Host.ProposeAsync(Group, Encoding.UTF8.GetBytes($"{key}={value}"));
                return;
            }
            catch (Exception e) when (e is NotLeaderException or ProposalDroppedException && DateTime.UtcNow < deadline)
            {
                next = e is NotLeaderException { LeaderId: var leader } && _nodes.ContainsKey(leader) ? leader : (next % 2) + 1;
                await Task.Delay(10);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

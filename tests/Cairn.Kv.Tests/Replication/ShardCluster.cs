using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Cairn.Kv.Cluster;
using Cairn.Kv.Replication;
using Cairn.Raft.Hosting;
using Cairn.Rpc;
using Cairn.Storage;
using Cairn.Storage.LogStore;

namespace Cairn.Kv.Tests.Replication;

/// <summary>
/// Real nodes in one process: each a Raft host over real RPC sockets, with shard groups whose state lives in a
/// LogStore that does not sync, and a <see cref="ReplicatedKvBackend"/> serving the groups it leads. Slot s belongs
/// to group <c>FirstGroup + s % Groups</c>.
/// </summary>
internal sealed class ShardCluster : IAsyncDisposable
{
    public const ulong FirstGroup = 10;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-shards-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<ulong, EndPoint> _addresses = [];
    private readonly int _snapshotEntries;

    private ShardCluster(int groups, int snapshotEntries)
    {
        Groups = groups;
        _snapshotEntries = snapshotEntries;
    }

    public int Groups { get; }

    public Dictionary<ulong, Node> Nodes { get; } = [];

    public static async Task<ShardCluster> StartAsync(int nodes = 3, int groups = 2, int snapshotEntries = 10_000)
    {
        var cluster = new ShardCluster(groups, snapshotEntries);
        var servers = new Dictionary<ulong, (RpcServer Server, RpcRouter Router, RpcOptions Options)>();
        for (var id = 1UL; id <= (ulong)nodes; id++)
        {
            var options = new RpcOptions { NodeId = id.ToString(CultureInfo.InvariantCulture), ClusterSecret = cluster._secret };
            var router = new RpcRouter();
            var server = new RpcServer(options, router);
            server.Start(new IPEndPoint(IPAddress.Loopback, 0));
            servers[id] = (server, router, options);
            cluster._addresses[id] = server.LocalEndPoint!;
        }

        foreach (var (id, (server, router, options)) in servers)
        {
            cluster.Nodes[id] = cluster.StartNode(id, server, router, options);
        }

        await cluster.WaitServedAsync();
        return cluster;
    }

    public static ulong GroupOf(int slot, int groups) => FirstGroup + (ulong)(slot % groups);

    /// <summary>Stops a node as a crash would (no flush of the unsynced engines).</summary>
    public async Task StopAsync(ulong id)
    {
        var node = Nodes[id];
        Nodes.Remove(id);
        await node.DisposeAsync();
    }

    /// <summary>Restarts a stopped node on its old address and data.</summary>
    public void Restart(ulong id)
    {
        var options = new RpcOptions { NodeId = id.ToString(CultureInfo.InvariantCulture), ClusterSecret = _secret };
        var router = new RpcRouter();
        var server = new RpcServer(options, router);
        server.Start((IPEndPoint)_addresses[id]);
        Nodes[id] = StartNode(id, server, router, options);
    }

    /// <summary>Waits until every group has a node serving it as leader.</summary>
    public async Task WaitServedAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Enumerable.Range(0, Groups).Any(g => !Nodes.Values.Any(n => n.Backend.Serves(FirstGroup + (ulong)g))))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("no leader serves every shard group");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>The node that serves the group of <paramref name="key"/>'s slot now.</summary>
    public Node LeaderFor(string key)
    {
        var group = GroupOf(Cairn.Core.HashSlot.Of(key), Groups);
        return Nodes.Values.First(n => n.Backend.Serves(group));
    }

    /// <summary>Waits until every running node has applied everything its group's leader committed.</summary>
    public async Task WaitAppliedAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var statuses = new List<RaftGroupStatus>();
            foreach (var node in Nodes.Values)
            {
                for (var g = 0; g < Groups; g++)
                {
                    statuses.Add(await node.Host.StatusAsync(FirstGroup + (ulong)g));
                }
            }

            var done = statuses.GroupBy(s => s.GroupId).All(g => g.Select(s => s.Applied).Distinct().Count() == 1 && g.All(s => s.Applied == s.Commit));
            if (done)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("replicas did not converge");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes.Values)
        {
            await node.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    private Node StartNode(ulong id, RpcServer server, RpcRouter router, RpcOptions options)
    {
        var dir = Path.Combine(_root, id.ToString(CultureInfo.InvariantCulture));
        var log = SharedRaftLog.Open(Path.Combine(dir, "raft"));
        var transport = new RpcRaftTransport(id, _addresses, options);
        var host = new RaftHost(
            new RaftHostOptions
            {
                NodeId = id,
                TickInterval = TimeSpan.FromMilliseconds(20),
                Seed = (int)id,
                SnapshotEntries = _snapshotEntries,
                CatchUpEntries = Math.Min(5_000, _snapshotEntries / 2),
            },
            log,
            transport);
        var machines = new List<ShardStateMachine>();
        for (var g = 0; g < Groups; g++)
        {
            var groupId = FirstGroup + (ulong)g;
            var engine = LogStore.Open(Path.Combine(dir, $"g{groupId}"), new LogStoreOptions { Sync = SyncPolicy.None });
            var machine = new ShardStateMachine(groupId, engine);
            machines.Add(machine);
            host.AddGroup(groupId, [.. _addresses.Keys.Order()], machine);
        }

        transport.MapInbound(router, host);
        transport.Attach(server);
        var node = new Node(id, server, transport, host, log, machines);
        var backend = new ReplicatedKvBackend(host, machines, slot => GroupOf(slot, Groups), new NodeRouter(this, node));
        node.Backend = backend;
        host.Start();
        backend.Start();
        return node;
    }

    internal sealed class Node : IAsyncDisposable
    {
        public Node(ulong id, RpcServer server, RpcRaftTransport transport, RaftHost host, SharedRaftLog log, List<ShardStateMachine> machines)
        {
            Id = id;
            Server = server;
            Transport = transport;
            Host = host;
            Log = log;
            Machines = machines;
        }

        public ulong Id { get; }

        public RpcServer Server { get; }

        public RpcRaftTransport Transport { get; }

        public RaftHost Host { get; }

        public SharedRaftLog Log { get; }

        public List<ShardStateMachine> Machines { get; }

        public ReplicatedKvBackend Backend { get; set; } = null!;

        public ShardStateMachine Machine(ulong group) => Machines.First(m => m.GroupId == group);

        public async ValueTask DisposeAsync()
        {
            Backend.Dispose();
            Host.Dispose();
            await Transport.DisposeAsync();
            await Server.DisposeAsync();
            Log.Dispose();
            foreach (var machine in Machines)
            {
                machine.Dispose();
            }
        }
    }

    /// <summary>Routes by what the nodes of this cluster know: a node's own groups, else the leader it saw.</summary>
    private sealed class NodeRouter(ShardCluster cluster, Node self) : IClusterRouter
    {
        public SlotRoute Route(int slot, bool write, bool readOnlyConnection, bool asking)
        {
            var group = GroupOf(slot, cluster.Groups);
            if (self.Backend.Serves(group))
            {
                return SlotRoute.Local;
            }

            var leader = self.Backend.LeaderOf(group);
            return leader == 0 ? new SlotRoute(SlotRouteKind.Down) : new SlotRoute(SlotRouteKind.Moved, $"node-{leader}");
        }

        public ClusterTopology Topology() => new("", 0, [], [], true);
    }
}

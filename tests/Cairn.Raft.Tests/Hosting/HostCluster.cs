using System.Text;
using Cairn.Raft.Hosting;

namespace Cairn.Raft.Tests.Hosting;

/// <summary>Real hosts (loop threads, shared logs on disk in a temp directory) joined by a loopback network.</summary>
internal sealed class HostCluster : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-raft-host-" + Guid.NewGuid().ToString("N"));
    private readonly ulong[] _groups;
    private readonly int _hibernateAfterTicks;
    private readonly Func<RaftHostOptions, RaftHostOptions> _configure;

    public HostCluster(int nodes, params ulong[] groups)
        : this(nodes, groups, hibernateAfterTicks: 40)
    {
    }

    public HostCluster(int nodes, ulong[] groups, int hibernateAfterTicks, Func<RaftHostOptions, RaftHostOptions>? configure = null)
    {
        _hibernateAfterTicks = hibernateAfterTicks;
        _configure = configure ?? (options => options);
        _groups = groups;
        Nodes = [.. Enumerable.Range(1, nodes).Select(i => (ulong)i)];
        foreach (var node in Nodes)
        {
            Start(node);
        }
    }

    public ulong[] Nodes { get; }

    public LoopbackNetwork Network { get; } = new();

    public Dictionary<ulong, RaftHost> Hosts { get; } = [];

    public Dictionary<ulong, SharedRaftLog> Logs { get; } = [];

    /// <summary>Each node's state machine per group.</summary>
    public Dictionary<(ulong Node, ulong Group), RegisterMachine> Machines { get; } = [];

    /// <summary>
    /// Starts (or restarts) a node. A node outside <see cref="Nodes"/> starts as a newcomer that waits for a leader
    /// to add it and send it the log or a snapshot.
    /// </summary>
    public void Start(ulong node) => Start(node, _groups);

    /// <summary>Starts (or restarts) a node holding only <paramref name="groups"/> at start.</summary>
    public void Start(ulong node, IReadOnlyList<ulong> groups)
    {
        var log = SharedRaftLog.Open(Path.Combine(_root, $"node-{node}"));
        var host = new RaftHost(
            _configure(new RaftHostOptions { NodeId = node, TickInterval = TimeSpan.FromMilliseconds(10), Seed = (int)node, HibernateAfterTicks = _hibernateAfterTicks }),
            log,
            Network.TransportFor(node));
        foreach (var group in groups)
        {
            var machine = new RegisterMachine();
            Machines[(node, group)] = machine;
            host.AddGroup(group, Nodes, machine);
        }

        Logs[node] = log;
        Hosts[node] = host;
        Network.Attach(host);
        host.Start();
    }

    /// <summary>Stops a node's host and closes its log, as a clean shutdown would.</summary>
    public void Stop(ulong node)
    {
        Network.Detach(node);
        Hosts[node].Dispose();
        Logs[node].Dispose();
        Hosts.Remove(node);
        Logs.Remove(node);
    }

    /// <summary>Waits until one running node leads <paramref name="group"/> and returns it.</summary>
    public async Task<ulong> LeaderOf(ulong group)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var (node, host) in Hosts)
            {
                if (!Machines.ContainsKey((node, group)))
                {
                    continue; // the node does not hold the group
                }

                var status = await host.StatusAsync(group);
                if (status.Role == RaftRole.Leader)
                {
                    return node;
                }
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"no leader of group {group} within 20 s");
    }

    /// <summary>Proposes through whichever node leads, following not-leader answers.</summary>
    public async Task<string?> Set(ulong group, string key, string value)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var leader = await LeaderOf(group);
            try
            {
                var previous = await Hosts[leader].ProposeAsync(group, Encoding.UTF8.GetBytes($"{key}={value}"));
                return previous is null ? null : Encoding.UTF8.GetString(previous);
            }
            catch (Exception e) when ((e is NotLeaderException or ProposalDroppedException) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
        }
    }

    public void WaitApplied(ulong group, string key, string value)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Hosts.Keys.Any(node => Machines.TryGetValue((node, group), out var machine) && machine.Read(key) != value))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{key}={value} was not applied on every running node of group {group}");
            Thread.Sleep(5);
        }
    }

    public void Dispose()
    {
        foreach (var node in Hosts.Keys.ToList())
        {
            Stop(node);
        }

        Directory.Delete(_root, recursive: true);
    }
}

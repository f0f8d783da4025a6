using Cairn.Raft;
using Cairn.Testing;

namespace Cairn.Simulation.World;

/// <summary>
/// Injects random faults at random intervals while it runs: kills (with lost or torn unsynced writes), crashes in the
/// middle of a write, symmetric and one-way partitions, an isolated leader, "swizzle" clogging (links clogged one by
/// one, then unclogged in random order), and, when enabled, a full disk or a flipped bit. Stopped nodes restart after
/// a random delay. With <see cref="SimulationOptions.Reconfiguration"/> it also snapshots and compacts random
/// nodes (so lagging followers need snapshots), transfers leadership, and changes the membership: adds a node as a
/// learner, promotes it, removes an old voter.
/// </summary>
public sealed class Nemesis(SimulatedWorld world)
{
    private static readonly CrashMode[] CrashModes = [CrashMode.DropUnsynced, CrashMode.TornTail, CrashMode.Chaos];
    private bool _running;
    private bool _flippedABit;

    public int Actions { get; private set; }

    public void Start()
    {
        _running = true;
        world.AutoRestart = true;
        ScheduleNext();
    }

    /// <summary>
    /// Stops injecting, heals the network, frees full disks and restarts every stopped node. Restarts stay automatic:
    /// a node may still stop on a corrupt entry it reads only now, and must come back like any other.
    /// </summary>
    public void StopAndHeal()
    {
        _running = false;
        world.Network.Heal();
        world.Network.DropRate = 0;
        foreach (var node in world.Nodes)
        {
            node.Disk.ScheduleCrash(-1, CrashMode.DropUnsynced);
            node.Disk.CapacityBytes = null;
            node.Start();
        }
    }

    private void ScheduleNext()
    {
        var options = world.Options;
        var delay = options.MinNemesisInterval + world.Random.NextInt64(options.MaxNemesisInterval - options.MinNemesisInterval + 1);
        world.Schedule(delay, "nemesis", 0, 0, 0, null, () =>
        {
            if (_running)
            {
                Act();
                ScheduleNext();
            }
        });
    }

    private void Act()
    {
        var options = world.Options;
        var random = world.Random;
        var up = world.Nodes.Where(n => n.Status == NodeStatus.Up).ToList();
        var target = up.Count > 0 ? up[random.Next(up.Count)] : null;
        Actions++;
        // Without reconfiguration the draw is the same as before it existed, so old seeds replay unchanged.
        switch (random.Next(options.Reconfiguration ? 13 : 10))
        {
            case 0 or 1 when world.Network.HasFaults:
                Note("heal");
                world.Network.Heal();
                break;
            case 0 when options.Crashes && target is not null:
                var mode = CrashModes[random.Next(CrashModes.Length)];
                Note($"kill {target.Id} {mode}");
                target.Kill(mode);
                break;
            case 1 when options.Crashes && target is not null:
                var ops = random.Next(40);
                Note($"crash {target.Id} at its write {ops}");
                target.CrashDuringWrite(ops, CrashModes[random.Next(CrashModes.Length)]);
                break;
            case 2 when options.Partitions:
                var side = world.NodeIds.Where(_ => random.Next(2) == 0).ToList();
                Note($"partition [{string.Join(",", side)}]");
                world.Network.Partition(side);
                break;
            case 3 when options.Partitions && world.Leader is { } leader:
                Note($"isolate leader {leader.Id}");
                world.Network.Isolate(leader.Id);
                break;
            case 4 when options.OneWayPartitions:
                var one = world.NodeIds[random.Next(world.NodeIds.Count)];
                var inbound = random.Next(2) == 0;
                Note($"one-way: {(inbound ? "nothing reaches" : "nothing leaves")} {one}");
                if (inbound)
                {
                    world.Network.CutInbound(one);
                }
                else
                {
                    world.Network.CutOutbound(one);
                }

                break;
            case 5 when options.Clogging:
                Swizzle();
                break;
            case 6 when options.DiskFull && target is not null:
                Note($"disk full on {target.Id}");
                target.FillDisk(random.Next(2000));
                break;
            case 7 when options.BitFlips && !_flippedABit && target is not null:
                // One per run, so a node that refuses to open its log for good still leaves a quorum.
                _flippedABit = target.FlipBit(random);
                break;
            case 10 when target is not null:
                Note($"snapshot {target.Id}");
                target.TakeSnapshot();
                break;
            case 11 when world.Leader is { } current:
                var voters = current.Raft!.ConfState.Voters.Where(v => v != current.Id).ToList();
                if (voters.Count > 0)
                {
                    var to = voters[random.Next(voters.Count)];
                    Note($"transfer leadership {current.Id} -> {to}");
                    current.Run(() => current.Raft!.TransferLeadership(to));
                }

                break;
            case 12 when world.Leader is { } leading:
                ChangeMembership(leading);
                break;
            default:
                break; // a quiet interval
        }
    }

    /// <summary>
    /// One step of a membership cycle, one server at a time: promote a learner; or, with more voters than the run
    /// started with, remove one that does not lead; or add a new node as a learner (at most two more than at start).
    /// The leader may refuse (a change in flight): that is part of the test too.
    /// </summary>
    private void ChangeMembership(SimNode leader)
    {
        var random = world.Random;
        var conf = leader.Raft!.ConfState;
        ConfChange change;
        if (conf.Learners.Count > 0)
        {
            change = new ConfChange(ConfChangeType.AddVoter, conf.Learners[random.Next(conf.Learners.Count)]);
        }
        else if (conf.Voters.Count > world.Options.Nodes)
        {
            var others = conf.Voters.Where(v => v != leader.Id).ToList();
            change = new ConfChange(ConfChangeType.RemoveNode, others[random.Next(others.Count)]);
        }
        else if (world.Nodes.Count < world.Options.Nodes + 2)
        {
            change = new ConfChange(ConfChangeType.AddLearner, world.AddNode().Id);
        }
        else
        {
            return;
        }

        var result = world.ProposeConfChange(leader.Id, change);
        Note($"{change.Type} {change.NodeId} at leader {leader.Id}: {(result.Accepted ? "accepted" : result.Refusal.ToString())}");
    }

    /// <summary>Clogs a random set of links one at a time, then unclogs them one at a time in another random order.</summary>
    private void Swizzle()
    {
        var random = world.Random;
        var links = new List<(ulong From, ulong To)>();
        foreach (var from in world.NodeIds)
        {
            foreach (var to in world.NodeIds.Where(to => to != from && random.Next(2) == 0))
            {
                links.Add((from, to));
            }
        }

        Shuffle(random, links);
        Note($"swizzle {links.Count} links");
        var at = 0L;
        foreach (var (from, to) in links)
        {
            at += 5_000 + random.NextInt64(30_000);
            world.Schedule(at, "clog", from, to, 0, null, () =>
            {
                if (_running)
                {
                    world.Network.Clog(from, to);
                }
            });
        }

        var reopen = links.ToList();
        Shuffle(random, reopen);
        at += 50_000 + random.NextInt64(200_000);
        foreach (var (from, to) in reopen)
        {
            at += 5_000 + random.NextInt64(30_000);
            world.Schedule(at, "unclog", from, to, 0, null, () => world.Network.Unclog(from, to));
        }
    }

    private void Note(string what) => world.Trace.Record(world.Now, "nemesis-act", 0, 0, Kv.StableHash.Text(what), what);

    private static void Shuffle<T>(Random random, List<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

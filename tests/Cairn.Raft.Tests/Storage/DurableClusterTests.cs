using Cairn.Raft.Storage;
using Cairn.Testing;

namespace Cairn.Raft.Tests.Storage;

/// <summary>
/// Raft nodes whose storage is a <see cref="DurableRaftLog"/> on a fault-injecting disk each: random ticks,
/// proposals, lost messages, compactions (so lagging nodes install snapshots) and crash-restarts that reopen the
/// log from disk. The cluster harness checks state machine safety at every apply; at the end the logs agree and a
/// new proposal reaches every node.
/// </summary>
public sealed class DurableClusterTests
{
    [Theory]
    [InlineData(1, CrashMode.DropUnsynced)]
    [InlineData(2, CrashMode.TornTail)]
    [InlineData(3, CrashMode.Chaos)]
    [InlineData(4, CrashMode.Chaos)]
    public void A_cluster_over_durable_logs_survives_crash_restarts_and_agrees(int seed, CrashMode mode)
    {
        var chaos = new Random(seed);
        var disks = new Dictionary<ulong, FaultInjectingFileSystem>();
        var options = new DurableRaftLogOptions { SegmentSize = 512 };
        DurableRaftLog OpenLog(ulong id) => DurableRaftLog.Open(disks[id], $"/node{id}/raft", options);
        var cluster = new Cluster(3, seed, storage: id =>
        {
            disks[id] = new FaultInjectingFileSystem(seed * 10 + (int)id);
            return OpenLog(id);
        });
        cluster.Drop = _ => chaos.Next(100) < 10;
        var restarts = 0;
        var proposals = 0;
        var compactions = 0;

        for (var step = 0; step < 300; step++)
        {
            var roll = chaos.Next(100);
            if (roll < 3)
            {
                var id = cluster.Ids[chaos.Next(cluster.Ids.Count)];
                disks[id].Crash(mode);
                disks[id].RestartAfter((DurableRaftLog)cluster.Storages[id]);
                cluster.Restart(id, OpenLog(id));
                restarts++;
            }
            else if (roll < 5)
            {
                // Snapshot at what the node applied and drop the whole segments below it; laggards get the snapshot.
                cluster.Compact(cluster.Ids[chaos.Next(cluster.Ids.Count)]);
                compactions++;
            }
            else if (roll < 25)
            {
                var target = cluster.Leaders.Select(l => l.Id).DefaultIfEmpty(cluster.Ids[chaos.Next(cluster.Ids.Count)]).First();
                cluster.Propose(target, $"{seed}:{proposals++}");
            }
            else
            {
                cluster.TickAll();
            }

            cluster.DeliverSome(chaos.Next(cluster.Network.Count + 1));
        }

        cluster.Drop = _ => false;
        var committed = cluster.CommitOnEveryNode();

        Assert.NotNull(committed);
        Assert.True(restarts > 0, "no node was restarted");
        Assert.True(compactions > 0, "no node compacted");
        Assert.True(cluster.Committed.Count > 10, $"only {cluster.Committed.Count} entries committed");

        // Every node's durable log holds what was committed, and the logs agree on it after one more restart each.
        foreach (var id in cluster.Ids)
        {
            disks[id].Crash(mode);
            disks[id].RestartAfter((DurableRaftLog)cluster.Storages[id]);
            using var log = OpenLog(id);
            var commit = log.HardState.Commit;
            Assert.True(commit >= (ulong)cluster.Committed.Count - 1, $"node {id} commit {commit} of {cluster.Committed.Count}");
            Assert.True(log.FirstIndex <= log.Snapshot.Index + 1, $"node {id}: a gap between the snapshot at {log.Snapshot.Index} and the log from {log.FirstIndex}");
            foreach (var entry in log.Entries(log.FirstIndex, commit + 1))
            {
                var first = cluster.Committed[entry.Index];
                Assert.Equal(first.Term, entry.Term);
                Assert.True(first.Data.Span.SequenceEqual(entry.Data.Span), $"node {id} entry {entry.Index} differs");
            }
        }
    }
}

using Cairn.Raft.Storage;
using Cairn.Storage;
using Cairn.Testing;
using static Cairn.Raft.Tests.Storage.DurableRaftLogTests;

namespace Cairn.Raft.Tests.Storage;

/// <summary>Snapshot metadata in the durable log: installing a leader's snapshot, recording a local one, crashes.</summary>
public sealed class DurableRaftLogSnapshotTests
{
    private static readonly SnapshotMetadata At50 = new(50, 4, new ConfState([1, 2, 3], [7]));

    private static DurableRaftLog LogOf40(FaultInjectingFileSystem fs, ulong commit = 30)
    {
        var log = Open(fs);
        log.Append(Range(1, 40, 1));
        log.SetHardState(new HardState(3, 1, commit));
        return log;
    }

    [Fact]
    public void An_installed_snapshot_replaces_the_log_and_survives_a_reopen()
    {
        var fs = new FaultInjectingFileSystem(1);
        using (var log = LogOf40(fs))
        {
            log.ApplySnapshot(At50);

            Assert.Equal(50UL, log.LastIndex);
            Assert.Equal(51UL, log.FirstIndex);
            Assert.Equal(4UL, log.Term(50));
            Assert.Equal(50UL, log.HardState.Commit);
            Assert.Equal(0, log.SegmentCount);
            log.Append([E(51, 4)]);
        }

        using var reopened = Open(fs);
        Assert.Equal(At50, reopened.Snapshot);
        Assert.Equal(51UL, reopened.FirstIndex);
        Assert.Equal(51UL, reopened.LastIndex);
        Assert.Equal(new HardState(3, 1, 50), reopened.HardState);
        Assert.Throws<InvalidOperationException>(() => reopened.ApplySnapshot(At50)); // not newer
    }

    [Fact]
    public void A_local_snapshot_is_recorded_and_keeps_the_entries()
    {
        var fs = new FaultInjectingFileSystem(2);
        var local = new SnapshotMetadata(20, 1, new ConfState([1, 2, 3]));
        using (var log = LogOf40(fs))
        {
            Assert.Throws<InvalidOperationException>(() => log.CreateSnapshot(new SnapshotMetadata(35, 1, local.ConfState))); // not committed
            Assert.Throws<InvalidOperationException>(() => log.CreateSnapshot(local with { Term = 2 })); // wrong term
            log.CreateSnapshot(local);
        }

        using var reopened = Open(fs);
        Assert.Equal(local, reopened.Snapshot);
        Assert.Equal(1UL, reopened.FirstIndex);
        Assert.Equal(40UL, reopened.LastIndex);
    }

    [Fact]
    public void A_crash_anywhere_in_an_install_reopens_as_the_old_log_or_the_snapshot()
    {
        for (var operations = 1; operations < 40; operations++)
        {
            var fs = new FaultInjectingFileSystem(operations);
            var log = LogOf40(fs);
            fs.ScheduleCrash(operations, CrashMode.Chaos);
            try
            {
                log.ApplySnapshot(At50);
            }
            catch (IOException)
            {
            }

            fs.Crash(CrashMode.Chaos);
            fs.RestartAfter(log);
            using var reopened = Open(fs);
            if (reopened.Snapshot.IsEmpty)
            {
                Assert.Equal(40UL, reopened.LastIndex);
                Assert.Equal(30UL, reopened.HardState.Commit);
            }
            else
            {
                Assert.Equal(At50, reopened.Snapshot);
                Assert.Equal(50UL, reopened.LastIndex);
                Assert.Equal(4UL, reopened.Term(50));
                Assert.Equal(50UL, reopened.HardState.Commit);
            }
        }
    }

    [Fact]
    public void A_corrupt_snapshot_record_is_refused()
    {
        var fs = new FaultInjectingFileSystem(3);
        using (var log = LogOf40(fs))
        {
            log.ApplySnapshot(At50);
        }

        fs.FlipBit($"{Dir}/snapshot", 9);

        Assert.Throws<CorruptionException>(() => Open(fs));
    }

    [Fact]
    public void A_cluster_over_durable_logs_installs_snapshots_after_compaction()
    {
        var disks = new Dictionary<ulong, FaultInjectingFileSystem>();
        var options = new DurableRaftLogOptions { SegmentSize = 256 };
        var cluster = new Cluster(3, 9, storage: id =>
        {
            disks[id] = new FaultInjectingFileSystem(90 + (int)id);
            return DurableRaftLog.Open(disks[id], $"/node{id}/raft", options);
        });
        var leader = cluster.ElectLeader();
        var lagging = cluster.Ids.First(id => id != leader.Id);
        cluster.Isolate(lagging);
        for (var i = 0; i < 40; i++)
        {
            cluster.Propose(leader.Id, $"entry-{i}");
        }

        cluster.Stabilize();
        var snapshot = cluster.Compact(leader.Id);
        Assert.True(cluster.Storages[leader.Id].FirstIndex > 1);
        cluster.Heal();
        cluster.WaitApplied(leader.LastIndex);

        Assert.Equal(snapshot, cluster.Storages[lagging].Snapshot);
        ((DurableRaftLog)cluster.Storages[lagging]).Dispose();
        cluster.Restart(lagging, DurableRaftLog.Open(disks[lagging], $"/node{lagging}/raft", options));
        cluster.Propose(leader.Id, "after restart");
        cluster.WaitApplied(leader.LastIndex);
        Assert.Equal(cluster.AppliedTexts(leader.Id), cluster.AppliedTexts(lagging));
    }
}

using Cairn.Raft.Storage;
using Cairn.Testing;
using static Cairn.Raft.Tests.Storage.DurableRaftLogTests;

namespace Cairn.Raft.Tests.Storage;

/// <summary>
/// Crash safety of the durable Raft log on a fault-injecting disk, over many seeds: what an append or hard-state
/// write acknowledged survives any crash, a crash in the middle leaves a prefix, and the log always opens.
/// </summary>
public sealed class DurableRaftLogCrashTests
{
    private const int Seeds = 10;

    [Theory]
    [InlineData(CrashMode.DropUnsynced)]
    [InlineData(CrashMode.TornTail)]
    [InlineData(CrashMode.Chaos)]
    public void Everything_acknowledged_survives_a_crash(CrashMode mode)
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seed);
            var fs = new FaultInjectingFileSystem(seed);
            var log = Open(fs, segmentSize: 200 + random.Next(600));
            var oracle = new MemoryRaftStorage();
            ulong term = 1;
            for (var round = 0; round < 40; round++)
            {
                // Mostly appends at the end; sometimes a new leader's entries replace an uncommitted suffix.
                var first = oracle.LastIndex + 1;
                if (random.Next(5) == 0 && oracle.LastIndex > oracle.HardState.Commit)
                {
                    first = oracle.HardState.Commit + 1 + (ulong)random.Next((int)(oracle.LastIndex - oracle.HardState.Commit));
                    term++;
                }

                var batch = Range(first, first + (ulong)random.Next(1, 8), term, $"/s{seed}r{round}");
                log.Append(batch);
                oracle.Append(batch);
                if (random.Next(3) == 0)
                {
                    var state = new HardState(term, (ulong)random.Next(4), oracle.HardState.Commit + (ulong)random.Next((int)(oracle.LastIndex - oracle.HardState.Commit) + 1));
                    log.SetHardState(state);
                    oracle.SetHardState(state);
                }
            }

            fs.Crash(mode);
            fs.RestartAfter(log);
            using var reopened = Open(fs);
            Assert.True(oracle.LastIndex == reopened.LastIndex, $"seed {seed}: last index {reopened.LastIndex}, expected {oracle.LastIndex}");
            Assert.Equal(oracle.HardState, reopened.HardState);
            AssertEntries(oracle.Entries(1, oracle.LastIndex + 1), reopened.Entries(1, reopened.LastIndex + 1));
        }
    }

    [Theory]
    [InlineData(CrashMode.DropUnsynced)]
    [InlineData(CrashMode.TornTail)]
    [InlineData(CrashMode.Chaos)]
    public void A_crash_in_the_middle_of_appending_leaves_a_prefix_and_the_log_opens(CrashMode mode)
    {
        var tornTailsCut = 0;
        for (var seed = 1; seed <= Seeds * 3; seed++)
        {
            var random = new Random(seed);
            var fs = new FaultInjectingFileSystem(seed);
            var log = Open(fs, segmentSize: 150 + random.Next(400));
            var intended = Range(1, 400, 1, $"/s{seed}");
            fs.ScheduleCrash(random.Next(1, 120), mode);
            ulong acknowledged = 0;
            var acknowledgedState = HardState.Empty;
            try
            {
                for (var next = 1; next <= intended.Count;)
                {
                    var count = Math.Min(random.Next(1, 6), intended.Count - next + 1);
                    log.Append(intended.GetRange(next - 1, count));
                    next += count;
                    acknowledged = (ulong)next - 1;
                    if (random.Next(3) == 0)
                    {
                        var state = new HardState(1, 1, acknowledged);
                        log.SetHardState(state);
                        acknowledgedState = state;
                    }
                }
            }
            catch (IOException)
            {
                // the crash
            }

            Assert.True(fs.Crashes == 1, $"seed {seed}: the scheduled crash did not happen");
            fs.RestartAfter(log);
            var bytesBefore = Segments(fs).Sum(fs.LengthOf);
            var reopened = Open(fs);
            tornTailsCut += Segments(fs).Sum(fs.LengthOf) < bytesBefore ? 1 : 0;
            Assert.True(reopened.LastIndex >= acknowledged, $"seed {seed}: acknowledged {acknowledged}, recovered {reopened.LastIndex}");
            Assert.True(reopened.HardState.Commit >= acknowledgedState.Commit, $"seed {seed}: hard state went back to {reopened.HardState}");
            AssertEntries(intended.Take((int)reopened.LastIndex), reopened.Entries(1, reopened.LastIndex + 1));

            // The recovered log takes appends again, and a second (clean) restart sees the same log.
            var last = reopened.LastIndex;
            reopened.Append(Range(last + 1, last + 3, 2));
            reopened.Dispose();
            using var again = Open(fs);
            Assert.Equal(last + 3, again.LastIndex);
            Assert.Equal(2UL, again.Term(last + 3));
        }

        // The seeds must exercise recovery's cut, not only clean tails (a dropped write leaves nothing to cut).
        Assert.True(mode == CrashMode.DropUnsynced || tornTailsCut > 0, "no seed left a torn tail to cut");
    }
}

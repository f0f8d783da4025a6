namespace Cairn.Raft.Tests;

public class RaftLogTests
{
    private static Entry E(ulong index, ulong term) => new(term, index, EntryType.Normal, Cluster.Bytes($"{index}@{term}"));

    [Fact]
    public void Appending_into_the_unstable_tail_truncates_the_conflicting_suffix()
    {
        var storage = new MemoryRaftStorage();
        storage.Append([E(1, 1), E(2, 1)]);
        var log = new RaftLog(storage);
        log.Append([E(3, 1), E(4, 1), E(5, 1)]);

        Assert.True(log.TryAppend(3, 1, 0, [E(4, 2)], out var last));

        Assert.Equal(4UL, last);
        Assert.Equal(4UL, log.LastIndex);
        Assert.Equal(2UL, log.Term(4));
        Assert.False(log.TryTerm(5, out _));
        Assert.Equal([3UL, 4UL], log.UnstableEntries.Select(e => e.Index));
    }

    [Fact]
    public void A_conflict_inside_stable_storage_shadows_the_stored_suffix_until_persisted()
    {
        var storage = new MemoryRaftStorage();
        storage.Append([E(1, 1), E(2, 1), E(3, 1)]);
        var log = new RaftLog(storage);

        Assert.True(log.TryAppend(1, 1, 0, [E(2, 2)], out _));

        Assert.Equal(2UL, log.LastIndex);
        Assert.False(log.TryTerm(3, out _));
        storage.Append(log.UnstableEntries);
        log.StableTo(2, 2);
        Assert.Empty(log.UnstableEntries);
        Assert.Equal(2UL, storage.LastIndex);
        Assert.Equal(2UL, log.Term(2));
    }

    [Fact]
    public void An_append_that_does_not_match_the_previous_entry_is_refused()
    {
        var storage = new MemoryRaftStorage();
        storage.Append([E(1, 1), E(2, 1)]);
        var log = new RaftLog(storage);

        Assert.False(log.TryAppend(2, 2, 0, [E(3, 2)], out _));
        Assert.False(log.TryAppend(5, 1, 0, [E(6, 1)], out _));
        Assert.Equal(2UL, log.LastIndex);
    }

    [Fact]
    public void The_commit_index_follows_the_leader_only_as_far_as_the_new_entries()
    {
        var log = new RaftLog(new MemoryRaftStorage());
        Assert.True(log.TryAppend(0, 0, 10, [E(1, 1), E(2, 1)], out _));
        Assert.Equal(2UL, log.Committed);
    }

    [Fact]
    public void Committing_beyond_the_last_index_is_a_programmer_error()
    {
        var log = new RaftLog(new MemoryRaftStorage());
        log.Append([E(1, 1)]);
        Assert.Throws<InvalidOperationException>(() => log.CommitTo(2));
    }

    [Fact]
    public void Overwriting_a_committed_entry_is_a_programmer_error()
    {
        var log = new RaftLog(new MemoryRaftStorage());
        log.Append([E(1, 1), E(2, 1)]);
        log.CommitTo(2);
        Assert.Throws<InvalidOperationException>(() => log.TryAppend(1, 1, 2, [E(2, 2)], out _));
        Assert.Throws<InvalidOperationException>(() => log.Append([E(2, 2)]));
    }

    [Fact]
    public void The_leader_commits_only_entries_of_its_own_term()
    {
        var log = new RaftLog(new MemoryRaftStorage());
        log.Append([E(1, 1), E(2, 2)]);
        Assert.False(log.MaybeCommit(2, 3));
        Assert.True(log.MaybeCommit(2, 2));
        Assert.Equal(2UL, log.Committed);
    }

    [Fact]
    public void Find_conflict_by_term_skips_a_whole_term()
    {
        var log = new RaftLog(new MemoryRaftStorage());
        log.Append([E(1, 1), E(2, 1), E(3, 2), E(4, 2), E(5, 2)]);
        Assert.Equal((2UL, 1UL), log.FindConflictByTerm(5, 1));
        Assert.Equal((5UL, 2UL), log.FindConflictByTerm(5, 3));
        Assert.Equal((0UL, 0UL), log.FindConflictByTerm(5, 0));
    }

    [Fact]
    public void Storage_refuses_gaps_backward_hard_states_and_rewriting_committed_entries()
    {
        var storage = new MemoryRaftStorage();
        Assert.Throws<InvalidOperationException>(() => storage.Append([E(2, 1)]));
        storage.Append([E(1, 1), E(2, 1)]);
        storage.SetHardState(new HardState(2, 1, 2));
        Assert.Throws<InvalidOperationException>(() => storage.SetHardState(new HardState(1, 1, 2)));
        Assert.Throws<InvalidOperationException>(() => storage.SetHardState(new HardState(2, 1, 1)));
        Assert.Throws<InvalidOperationException>(() => storage.Append([E(2, 2)]));
        storage.Append([E(2, 1), E(3, 2)]);
        Assert.Equal(3UL, storage.LastIndex);
    }
}

public class RaftConfigTests
{
    private static readonly RaftConfig Valid = new() { Id = 1, Peers = [1, 2, 3] };

    public static TheoryData<string> Nonsense() =>
    [
        "id0", "nopeers", "leasewithoutcheckquorum", "dup", "peer0", "heartbeat0", "election<=heartbeat", "inflight0", "bytes0", "toomany",
    ];

    [Theory]
    [MemberData(nameof(Nonsense))]
    public void Nonsense_settings_are_refused(string which)
    {
        var config = which switch
        {
            "id0" => Valid with { Id = 0 },
            "nopeers" => Valid with { Peers = [] },
            "leasewithoutcheckquorum" => Valid with { ReadOnlyOption = ReadOnlyOption.LeaseBased, CheckQuorum = false },
            "dup" => Valid with { Peers = [1, 2, 2] },
            "peer0" => Valid with { Peers = [1, 0] },
            "heartbeat0" => Valid with { HeartbeatTick = 0 },
            "election<=heartbeat" => Valid with { ElectionTick = 2, HeartbeatTick = 2 },
            "inflight0" => Valid with { MaxInflightMessages = 0 },
            "bytes0" => Valid with { MaxBytesPerAppend = 0 },
            _ => Valid with { Peers = Enumerable.Range(1, RaftConfig.MaxPeers + 1).Select(i => (ulong)i).ToArray() },
        };

        Assert.Throws<ArgumentException>(config.Validate);
        Assert.Throws<ArgumentException>(() => new RawNode(config, new MemoryRaftStorage(), new Random(1)));
    }

    [Fact]
    public void Sensible_settings_are_accepted()
    {
        Valid.Validate();
    }

    [Fact]
    public void A_node_joining_later_is_created_with_the_bootstrap_peers_which_need_not_include_it()
    {
        var joiner = Valid with { Id = 4 };

        joiner.Validate();
        var node = new RawNode(joiner, new MemoryRaftStorage(), new Random(1));
        Assert.Equal([1UL, 2UL, 3UL], node.ConfState.Voters);
        Assert.False(node.ConfState.Contains(4));
    }
}

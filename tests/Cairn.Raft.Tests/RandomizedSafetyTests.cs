using System.Globalization;
using Xunit.Abstractions;

namespace Cairn.Raft.Tests;

/// <summary>
/// Random partitions, drops, duplicates, reordering, restarts, ticks, proposals, membership changes (two extra nodes
/// start outside the group and are added, promoted, demoted and removed at random) and compactions that force
/// snapshot installs, with Raft's safety properties checked after every step. Each run is one seed; set CAIRN_SEED to run just that seed, CAIRN_TRACE=1 to print
/// every node's role, term and commit index after each step, and CAIRN_SEEDS=n to soak over seeds 1..n.
/// </summary>
public class RandomizedSafetyTests(ITestOutputHelper output)
{
    private const int Seeds = 50;
    private const int Steps = 500;

    public static TheoryData<int, int> Runs()
    {
        var data = new TheoryData<int, int>();
        var only = Environment.GetEnvironmentVariable("CAIRN_SEED");
        var count = Environment.GetEnvironmentVariable("CAIRN_SEEDS") is { } soak ? int.Parse(soak, CultureInfo.InvariantCulture) : Seeds;
        var seeds = only is null ? Enumerable.Range(1, count) : [int.Parse(only, CultureInfo.InvariantCulture)];
        foreach (var seed in seeds)
        {
            data.Add(3, seed);
            data.Add(5, seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Safety_holds_under_random_faults(int size, int seed)
    {
        try
        {
            output.WriteLine(Run(size, seed));
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{size} nodes failed; rerun with CAIRN_SEED={seed} (CAIRN_TRACE=1 prints each step): {e.Message}", e);
        }
    }

    private static string Run(int size, int seed)
    {
        var chaos = new Random(seed);
        var cluster = new Cluster(size, seed);
        cluster.AddNode((ulong)size + 1);
        cluster.AddNode((ulong)size + 2);
        var all = cluster.Ids.Count;
        var changes = 0;
        var compactions = 0;
        var reads = new List<ulong>(); // per read: the highest commit index any node had when it was asked
        var leaderOfTerm = new Dictionary<ulong, ulong>();
        var maxTermWhenCommitted = new Dictionary<ulong, ulong>();
        cluster.OnFirstApplied = entry => maxTermWhenCommitted[entry.Index] = cluster.Nodes.Values.Max(n => n.Term);
        var dropPercent = chaos.Next(0, 20);
        cluster.Drop = _ => chaos.Next(100) < dropPercent;
        var proposals = 0;

        for (var step = 0; step < Steps; step++)
        {
            var roll = chaos.Next(100);
            if (roll < 2)
            {
                cluster.Heal();
                if (chaos.Next(2) == 0)
                {
                    cluster.Partition(cluster.Ids.Where(_ => chaos.Next(2) == 0).ToList());
                }
            }
            else if (roll < 4)
            {
                cluster.Restart(cluster.Ids[chaos.Next(all)]);
            }
            else if (roll < 25)
            {
                var target = cluster.Leaders.Select(l => l.Id).DefaultIfEmpty(cluster.Ids[chaos.Next(all)]).First();
                cluster.Propose(chaos.Next(4) == 0 ? cluster.Ids[chaos.Next(all)] : target, $"{seed}:{proposals++}");
            }
            else if (roll < 28)
            {
                // The core refuses what is not allowed now (pending change, no-op, last voter); the rest goes ahead.
                var leader = cluster.Leaders.OrderByDescending(l => l.Term).FirstOrDefault();
                if (leader is not null)
                {
                    var type = (ConfChangeType)chaos.Next(3);
                    var node = cluster.Ids[chaos.Next(all)];
                    if (type != ConfChangeType.RemoveNode || leader.ConfState.Voters.Count > 2 || !leader.ConfState.IsVoter(node))
                    {
                        changes += cluster.ProposeConfChange(leader.Id, type, node).Accepted ? 1 : 0;
                    }
                }
            }
            else if (roll < 30)
            {
                cluster.Compact(cluster.Ids[chaos.Next(all)]);
                compactions++;
            }
            else if (roll < 33)
            {
                // A linearizable read must see everything committed anywhere before it was asked.
                var id = cluster.Ids[chaos.Next(all)];
                var read = reads.Count;
                reads.Add(cluster.Nodes.Values.Max(n => n.CommitIndex));
                cluster[id].ReadIndex(BitConverter.GetBytes(read));
                cluster.Collect();
            }
            else if (roll < 34)
            {
                var leader = cluster.Leaders.OrderByDescending(l => l.Term).FirstOrDefault();
                leader?.TransferLeadership(leader.ConfState.Voters[chaos.Next(leader.ConfState.Voters.Count)]);
                cluster.Collect();
            }
            else
            {
                foreach (var id in cluster.Ids.Where(_ => chaos.Next(4) != 0))
                {
                    cluster[id].Tick();
                }

                cluster.Collect();
            }

            // Deliver a random part of the network in random order; duplicate a few messages.
            Shuffle(chaos, cluster.Network);
            if (cluster.Network.Count > 0 && chaos.Next(10) == 0)
            {
                cluster.Network.Add(cluster.Network[chaos.Next(cluster.Network.Count)]);
            }

            cluster.DeliverSome(chaos.Next(cluster.Network.Count + 1));
            if (cluster.Network.Count > 2000)
            {
                cluster.Network.RemoveRange(0, cluster.Network.Count - 2000); // A bounded network loses the oldest.
            }

            CheckSafety(cluster, leaderOfTerm, maxTermWhenCommitted);
            CheckReads(cluster, reads);
            if (Environment.GetEnvironmentVariable("CAIRN_TRACE") is not null)
            {
                Console.Error.WriteLine($"step {step} roll {roll}: " + string.Join(" ", cluster.Nodes.Values.Select(n => $"{n.Id}:{n.Role.ToString()[0]}{n.Term}/{n.CommitIndex}")));
            }
        }

        // Liveness once the faults stop: a leader emerges and a new proposal reaches every node.
        cluster.Heal();
        cluster.Drop = _ => false;
        var committed = cluster.CommitOnEveryNode();

        CheckSafety(cluster, leaderOfTerm, maxTermWhenCommitted);
        Assert.True(committed is not null, "no proposal committed on every node after the faults stopped");
        return $"{size} nodes, seed {seed}: {cluster.Committed.Count} entries committed, {leaderOfTerm.Count} terms with a leader, "
            + $"{proposals} proposals, {cluster.ReadStates.Values.Sum(r => r.Count)} of {reads.Count} reads confirmed, {changes} membership changes, {compactions} compactions, "
            + $"{cluster.Delivered.Count(m => m.Type == MessageType.Snapshot)} snapshots sent, {cluster.Delivered.Count} messages delivered, drop rate {dropPercent}%";
    }

    private static void CheckSafety(Cluster cluster, Dictionary<ulong, ulong> leaderOfTerm, Dictionary<ulong, ulong> maxTermWhenCommitted)
    {
        // Election safety: at most one leader per term.
        foreach (var leader in cluster.Leaders)
        {
            if (leaderOfTerm.TryGetValue(leader.Term, out var other))
            {
                Assert.True(other == leader.Id, $"election safety: {other} and {leader.Id} both led term {leader.Term}");
            }
            else
            {
                leaderOfTerm[leader.Term] = leader.Id;
            }
        }

        // Log matching: if two logs hold an entry with the same index and term, they are identical up to it.
        var ids = cluster.Ids;
        for (var a = 0; a < ids.Count; a++)
        {
            for (var b = a + 1; b < ids.Count; b++)
            {
                var x = cluster.Storages[ids[a]];
                var y = cluster.Storages[ids[b]];
                var low = Math.Max(x.FirstIndex, y.FirstIndex); // below it, one of them holds a snapshot instead
                var top = Math.Min(x.LastIndex, y.LastIndex);
                while (top >= low && x.Term(top) != y.Term(top))
                {
                    top--;
                }

                if (top < low)
                {
                    continue;
                }

                var xs = x.Entries(low, top + 1);
                var ys = y.Entries(low, top + 1);
                for (var i = 0; i < xs.Count; i++)
                {
                    Assert.True(
                        xs[i].Term == ys[i].Term && xs[i].Data.Span.SequenceEqual(ys[i].Data.Span),
                        $"log matching: nodes {ids[a]} and {ids[b]} agree at {top} but differ at {low + (ulong)i}");
                }
            }
        }

        // Leader completeness: a leader elected after an entry was committed holds that entry.
        // (State machine safety, that no two nodes apply different entries at an index, is checked as they apply.)
        foreach (var leader in cluster.Leaders)
        {
            foreach (var (index, entry) in cluster.Committed)
            {
                if (leader.Term > maxTermWhenCommitted[index] && index + 1 >= cluster.Storages[leader.Id].FirstIndex)
                {
                    Assert.True(
                        leader.TryTermAt(index, out var term) && term == entry.Term,
                        $"leader completeness: leader {leader.Id} of term {leader.Term} lacks committed entry {index}");
                }
            }
        }

        // Every node's commit stays within its log, and every committed entry it holds matches what was applied.
        foreach (var id in ids)
        {
            var node = cluster[id];
            Assert.True(node.CommitIndex <= node.LastIndex);
            foreach (var (index, entry) in cluster.Committed)
            {
                if (index <= node.CommitIndex && index + 1 >= cluster.Storages[id].FirstIndex)
                {
                    Assert.True(
                        cluster.Storages[id].Term(index) == entry.Term,
                        $"committed entry lost: node {id} holds a different entry at committed index {index}");
                }
            }
        }
    }

    private static void CheckReads(Cluster cluster, List<ulong> reads)
    {
        foreach (var (id, states) in cluster.ReadStates)
        {
            foreach (var state in states)
            {
                var read = BitConverter.ToInt32(state.Context.Span);
                Assert.True(
                    state.Index >= reads[read],
                    $"stale read: node {id}'s read {read} got index {state.Index}, but {reads[read]} was committed before it was asked");
            }
        }
    }

    private static void Shuffle(Random random, List<Message> messages)
    {
        for (var i = messages.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (messages[i], messages[j]) = (messages[j], messages[i]);
        }
    }
}

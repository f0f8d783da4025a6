using Cairn.Kv.Cluster;

namespace Cairn.Kv.Tests.Cluster;

/// <summary>
/// The cluster the CLUSTER command tests describe: four nodes, three shard groups. A (this node) leads group 1
/// (slots 0-5460 and 10922, migrating slot 100 to C, importing slot 12000 from C); B leads group 2 (5461-10921);
/// C leads group 3 (10923-16383); D leads nothing and is down.
/// </summary>
internal static class SampleTopology
{
    public const string A = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
    public const string B = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
    public const string C = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";
    public const string D = "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4";

    public static ClusterTopology Healthy() => new(
        A,
        CurrentEpoch: 7,
        Nodes:
        [
            new(A, "127.0.0.1", 7000, 17000, Myself: true, Connected: true, ConfigEpoch: 1),
            new(B, "127.0.0.1", 7001, 17001, Myself: false, Connected: true, ConfigEpoch: 2),
            new(C, "127.0.0.1", 7002, 17002, Myself: false, Connected: true, ConfigEpoch: 3),
            new(D, "127.0.0.1", 7003, 17003, Myself: false, Connected: false, ConfigEpoch: 0),
        ],
        Shards:
        [
            new(1, [(0, 5460), (10922, 10922)], A, [B, D], Migrating: [(100, C)], Importing: [(12000, C)]),
            new(2, [(5461, 10921)], B, [C], [], []),
            new(3, [(10923, 16383)], C, [A], [], []),
        ],
        StateOk: true);

    /// <summary>The same cluster with group 2 leaderless: its 5461 slots fail and the cluster is down.</summary>
    public static ClusterTopology GroupTwoWithoutLeader()
    {
        var healthy = Healthy();
        return healthy with
        {
            Shards = [healthy.Shards[0], healthy.Shards[1] with { LeaderId = null }, healthy.Shards[2]],
            StateOk = false,
        };
    }
}

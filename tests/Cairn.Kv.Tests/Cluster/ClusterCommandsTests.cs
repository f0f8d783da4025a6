using Cairn.Core;
using Cairn.Kv.Server;
using Cairn.Kv.Tests.Support;
using static Cairn.Kv.Tests.Cluster.SampleTopology;

namespace Cairn.Kv.Tests.Cluster;

/// <summary>The CLUSTER subcommands' replies, compared with what Redis 7 sends for the same cluster.</summary>
public class ClusterCommandsTests
{
    private static ServerHarness Start(TestClusterRouter router, TimeProvider? clock = null) =>
        new(new KvServerOptions { Cluster = router }, clock);

    [Fact]
    public async Task CLUSTER_INFO_lists_Redis_fields_in_Redis_order_with_CRLF_lines()
    {
        var router = new TestClusterRouter();
        await using var harness = Start(router);
        using var client = harness.Connect();

        var expected =
            "cluster_state:ok\r\n" +
            "cluster_slots_assigned:16384\r\n" +
            "cluster_slots_ok:16384\r\n" +
            "cluster_slots_pfail:0\r\n" +
            "cluster_slots_fail:0\r\n" +
            "cluster_known_nodes:4\r\n" +
            "cluster_size:3\r\n" +
            "cluster_current_epoch:7\r\n" +
            "cluster_my_epoch:1\r\n" +
            "cluster_stats_messages_sent:0\r\n" +
            "cluster_stats_messages_received:0\r\n" +
            "total_cluster_links_buffer_limit_exceeded:0\r\n";
        var reply = client.Call("CLUSTER", "INFO");
        Assert.Equal('$', reply.Type);
        Assert.Equal(expected, reply.Text);

        router.Current = GroupTwoWithoutLeader();
        var down = client.Call("CLUSTER", "info").Text!;
        Assert.StartsWith(
            "cluster_state:fail\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:10923\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:5461\r\n",
            down,
            StringComparison.Ordinal);

        client.Call("HELLO", "3");
        var verbatim = client.Call("CLUSTER", "INFO");
        Assert.Equal('=', verbatim.Type); // RESP3: a verbatim string, as Redis 7 sends
        Assert.Equal("txt:cluster_state:fail\r\n", verbatim.Text![..24]);
    }

    [Fact]
    public async Task CLUSTER_NODES_shows_each_node_once_in_Redis_7_line_format()
    {
        await using var harness = Start(new TestClusterRouter());
        using var client = harness.Connect();

        var expected =
            $"{A} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 10922 [100->-{C}] [12000-<-{C}]\n" +
            $"{B} 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10921\n" +
            $"{C} 127.0.0.1:7002@17002 master - 0 0 3 connected 10923-16383\n" +
            $"{D} 127.0.0.1:7003@17003 master - 0 0 0 disconnected\n";
        Assert.Equal(expected, client.Call("CLUSTER", "NODES").Text);
    }

    [Fact]
    public async Task CLUSTER_NODES_merges_adjacent_ranges_of_groups_one_node_leads()
    {
        var router = new TestClusterRouter();
        var healthy = Healthy();
        router.Current = healthy with { Shards = [healthy.Shards[0], healthy.Shards[1] with { LeaderId = A }, healthy.Shards[2]] };
        await using var harness = Start(router);
        using var client = harness.Connect();

        var lines = client.Call("CLUSTER", "NODES").Text!.Split('\n');
        Assert.Equal($"{A} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-10922 [100->-{C}] [12000-<-{C}]", lines[0]);
        Assert.Equal($"{B} 127.0.0.1:7001@17001 master - 0 0 2 connected", lines[1]);
    }

    [Fact]
    public async Task CLUSTER_SLOTS_lists_each_range_with_its_leader_then_live_replicas()
    {
        await using var harness = Start(new TestClusterRouter());
        using var client = harness.Connect();

        string Node(string id, int port) => $"*[$127.0.0.1, :{port}, ${id}, *[]]";
        var expected =
            $"*[*[:0, :5460, {Node(A, 7000)}, {Node(B, 7001)}], " + // D is down: left out
            $"*[:10922, :10922, {Node(A, 7000)}, {Node(B, 7001)}], " +
            $"*[:5461, :10921, {Node(B, 7001)}, {Node(C, 7002)}], " +
            $"*[:10923, :16383, {Node(C, 7002)}, {Node(A, 7000)}]]";
        Assert.Equal(expected, client.CallText("CLUSTER", "SLOTS"));

        client.Call("HELLO", "3");
        Assert.Equal($"*[:5461, :10921, *[$127.0.0.1, :7001, ${B}, %{{}}], *[$127.0.0.1, :7002, ${C}, %{{}}]]", client.Call("CLUSTER", "SLOTS").Items![2].ToString());
    }

    [Fact]
    public async Task CLUSTER_SLOTS_leaves_out_a_group_without_a_leader()
    {
        var router = new TestClusterRouter(GroupTwoWithoutLeader());
        await using var harness = Start(router);
        using var client = harness.Connect();

        var ranges = client.Call("CLUSTER", "SLOTS").Items!.Select(r => $"{r.Items![0].Integer}-{r.Items[1].Integer}");
        Assert.Equal(new[] { "0-5460", "10922-10922", "10923-16383" }, ranges);
    }

    [Fact]
    public async Task CLUSTER_SHARDS_gives_slots_and_nodes_maps_in_Redis_7_field_order_then_the_group_id()
    {
        await using var harness = Start(new TestClusterRouter());
        using var client = harness.Connect();

        string Node(string id, int port, string role, string health) =>
            $"*[$id, ${id}, $port, :{port}, $ip, $127.0.0.1, $endpoint, $127.0.0.1, $role, ${role}, $replication-offset, :0, $health, ${health}]";
        var first =
            $"*[$slots, *[:0, :5460, :10922, :10922], $nodes, *[{Node(A, 7000, "master", "online")}, " +
            $"{Node(B, 7001, "replica", "online")}, {Node(D, 7003, "replica", "fail")}], $id, $1]";
        var shards = client.Call("CLUSTER", "SHARDS");
        Assert.Equal(3, shards.Items!.Count);
        Assert.Equal(first, shards.Items[0].ToString());
        Assert.Equal($"*[$slots, *[:10923, :16383], $nodes, *[{Node(C, 7002, "master", "online")}, {Node(A, 7000, "replica", "online")}], $id, $3]", shards.Items[2].ToString());

        client.Call("HELLO", "3");
        var resp3 = client.Call("CLUSTER", "SHARDS").Items![1];
        Assert.Equal(
            $"%{{$slots: *[:5461, :10921], $nodes: *[%{{$id: ${B}, $port: :7001, $ip: $127.0.0.1, $endpoint: $127.0.0.1, $role: $master, $replication-offset: :0, $health: $online}}, " +
            $"%{{$id: ${C}, $port: :7002, $ip: $127.0.0.1, $endpoint: $127.0.0.1, $role: $replica, $replication-offset: :0, $health: $online}}], $id: $2}}",
            resp3.ToString());
    }

    [Fact]
    public async Task CLUSTER_MYID_KEYSLOT_and_HELP()
    {
        await using var harness = Start(new TestClusterRouter());
        using var client = harness.Connect();

        Assert.Equal("$" + A, client.CallText("CLUSTER", "MYID"));
        Assert.Equal(":11058", client.CallText("CLUSTER", "KEYSLOT", "somekey")); // the example in Redis's docs
        Assert.Equal(":12182", client.CallText("CLUSTER", "keyslot", "foo"));
        Assert.Equal(client.CallText("CLUSTER", "KEYSLOT", "{user1000}.following"), client.CallText("CLUSTER", "KEYSLOT", "{user1000}.followers"));
        Assert.Equal($":{HashSlot.Of("foo{}{bar}")}", client.CallText("CLUSTER", "KEYSLOT", "foo{}{bar}"));
        Assert.NotEqual(client.CallText("CLUSTER", "KEYSLOT", "bar"), client.CallText("CLUSTER", "KEYSLOT", "foo{}{bar}"));
        Assert.Equal(client.CallText("CLUSTER", "KEYSLOT", "{bar"), client.CallText("CLUSTER", "KEYSLOT", "foo{{bar}}zap"));

        var help = client.Call("CLUSTER", "HELP");
        Assert.Equal("+CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", help.Items![0].ToString());
        Assert.Equal("+    Print this help.", help.Items[^1].ToString());
        Assert.All(help.Items, line => Assert.Equal('+', line.Type));
    }

    [Fact]
    public async Task Unknown_subcommands_and_wrong_arity_get_Redis_7_errors()
    {
        await using var harness = Start(new TestClusterRouter());
        using var client = harness.Connect();

        Assert.Equal("-ERR unknown subcommand 'meet'. Try CLUSTER HELP.", client.CallText("CLUSTER", "meet", "127.0.0.1", "7000"));
        Assert.Equal("-ERR wrong number of arguments for 'cluster|keyslot' command", client.CallText("CLUSTER", "KEYSLOT"));
        Assert.Equal("-ERR wrong number of arguments for 'cluster|info' command", client.CallText("CLUSTER", "INFO", "x"));
        Assert.Equal("-ERR Invalid slot", client.CallText("CLUSTER", "COUNTKEYSINSLOT", "16384"));
        Assert.Equal("-ERR value is not an integer or out of range", client.CallText("CLUSTER", "COUNTKEYSINSLOT", "x"));
        Assert.Equal("-ERR Invalid slot or number of keys", client.CallText("CLUSTER", "GETKEYSINSLOT", "-1", "10"));
        Assert.Equal("-ERR Invalid slot or number of keys", client.CallText("CLUSTER", "GETKEYSINSLOT", "0", "-1"));
    }

    [Fact]
    public async Task COUNTKEYSINSLOT_and_GETKEYSINSLOT_read_the_local_keyspace_and_skip_expired_keys()
    {
        var clock = new ManualClock();
        await using var harness = Start(new TestClusterRouter(), clock);
        using var client = harness.Connect();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("+OK", client.CallText("SET", $"{{t}}:{i}", "v"));
            Assert.Equal("+OK", client.CallText("SET", $"other:{i}", "v"));
        }

        Assert.Equal("+OK", client.CallText("SET", "{t}:gone", "v", "PX", "1000"));
        var slot = HashSlot.Of("t").ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(":6", client.CallText("CLUSTER", "COUNTKEYSINSLOT", slot));
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(":5", client.CallText("CLUSTER", "COUNTKEYSINSLOT", slot));
        Assert.Equal("*[${t}:0, ${t}:1, ${t}:2]", client.CallText("CLUSTER", "GETKEYSINSLOT", slot, "3"));
        Assert.Equal(5, client.Call("CLUSTER", "GETKEYSINSLOT", slot, "100").Items!.Count);
        Assert.Equal("*[]", client.CallText("CLUSTER", "GETKEYSINSLOT", slot, "0"));
        Assert.Equal(":0", client.CallText("CLUSTER", "COUNTKEYSINSLOT", "0"));

        Assert.Equal(5, harness.Backend.CountKeysInSlot(HashSlot.Of("t")));
        Assert.Equal(2, harness.Backend.KeysInSlot(HashSlot.Of("t"), 2).Count);
    }

    [Fact]
    public async Task Cluster_commands_are_in_COMMAND_with_docs()
    {
        await using var harness = Start(new TestClusterRouter());
        using var client = harness.Connect();

        foreach (var (name, arity) in new[] { ("cluster", -2), ("readonly", 1), ("readwrite", 1), ("asking", 1) })
        {
            var info = client.Call("COMMAND", "INFO", name).Items![0];
            Assert.Equal(name, info.Items![0].Text);
            Assert.Equal(arity, info.Items[1].Integer);
            Assert.Equal(0, info.Items[3].Integer); // no keys
            var docs = client.Call("COMMAND", "DOCS", name).AsMap()[name].AsMap();
            Assert.Equal("cluster", docs["group"].Text);
        }
    }
}

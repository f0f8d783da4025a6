using Cairn.Core;
using Cairn.Kv.Cluster;
using Cairn.Kv.Server;
using Cairn.Kv.Tests.Support;

namespace Cairn.Kv.Tests.Cluster;

/// <summary>How a server in cluster mode routes keyed commands: redirections, the ASKING and READONLY flags, CROSSSLOT.</summary>
public class ClusterRoutingTests
{
    private static readonly int FooSlot = HashSlot.Of("foo"); // 12182, as Redis computes it

    private static ServerHarness Start(TestClusterRouter router) => new(new KvServerOptions { Cluster = router });

    [Fact]
    public async Task A_key_owned_elsewhere_is_answered_with_MOVED_and_the_command_does_not_run()
    {
        var router = new TestClusterRouter();
        router.Set(FooSlot, new SlotRoute(SlotRouteKind.Moved, "10.0.0.2:6380"));
        await using var harness = Start(router);
        using var client = harness.Connect();

        Assert.Equal(12182, FooSlot);
        Assert.Equal("-MOVED 12182 10.0.0.2:6380", client.CallText("SET", "foo", "bar"));
        Assert.Equal("-MOVED 12182 10.0.0.2:6380", client.CallText("GET", "foo"));
        Assert.Equal(0, harness.Backend.Count());
        Assert.Equal("+OK", client.CallText("SET", "bar", "here")); // slot 5061 is served here
        Assert.Equal("$here", client.CallText("GET", "bar"));
    }

    [Fact]
    public async Task TRYAGAIN_and_CLUSTERDOWN_use_Redis_wording()
    {
        var router = new TestClusterRouter();
        router.Set(FooSlot, new SlotRoute(SlotRouteKind.TryAgain));
        router.Set(HashSlot.Of("bar"), new SlotRoute(SlotRouteKind.Down));
        await using var harness = Start(router);
        using var client = harness.Connect();

        Assert.Equal("-TRYAGAIN Multiple keys request during rehashing of slot", client.CallText("MGET", "{foo}1", "{foo}2"));
        Assert.Equal("-CLUSTERDOWN The cluster is down", client.CallText("GET", "bar"));
    }

    [Fact]
    public async Task ASK_is_answered_until_ASKING_and_ASKING_covers_only_the_next_command()
    {
        var router = new TestClusterRouter();
        router.Importing[FooSlot] = new SlotRoute(SlotRouteKind.Ask, "10.0.0.3:6381");
        await using var harness = Start(router);
        using var client = harness.Connect();

        Assert.Equal("-ASK 12182 10.0.0.3:6381", client.CallText("SET", "foo", "1"));
        Assert.Equal("+OK", client.CallText("ASKING"));
        Assert.Equal("+OK", client.CallText("SET", "foo", "2"));
        Assert.Equal("-ASK 12182 10.0.0.3:6381", client.CallText("GET", "foo")); // the flag was used up

        Assert.Equal("+OK", client.CallText("ASKING"));
        Assert.Equal("+PONG", client.CallText("PING")); // any command uses it up, keyed or not
        Assert.Equal("-ASK 12182 10.0.0.3:6381", client.CallText("GET", "foo"));

        Assert.Equal("+OK", client.CallText("ASKING"));
        Assert.StartsWith("-ERR unknown command", client.CallText("NOSUCH"), StringComparison.Ordinal); // even an unknown one
        Assert.Equal("-ASK 12182 10.0.0.3:6381", client.CallText("GET", "foo"));

        Assert.Equal("+OK", client.CallText("ASKING"));
        Assert.Equal("$2", client.CallText("GET", "foo"));

        var asked = router.Calls.Select(call => call.Asking).ToList();
        Assert.Equal(new[] { false, true, false, false, false, true }, asked);
    }

    [Fact]
    public async Task READONLY_and_READWRITE_set_the_flag_the_router_sees_and_writes_are_flagged()
    {
        var router = new TestClusterRouter();
        await using var harness = Start(router);
        using var client = harness.Connect();

        Assert.Equal("+OK", client.CallText("SET", "foo", "1"));
        Assert.Equal("$1", client.CallText("GET", "foo"));
        Assert.Equal("+OK", client.CallText("READONLY"));
        Assert.Equal("$1", client.CallText("GET", "foo"));
        Assert.Equal(":2", client.CallText("INCR", "foo"));
        Assert.Equal("+OK", client.CallText("READWRITE"));
        Assert.Equal(":1", client.CallText("EXISTS", "foo"));
        Assert.Equal("+OK", client.CallText("READONLY"));
        Assert.Equal("+RESET", client.CallText("RESET")); // RESET clears READONLY, as in Redis
        Assert.Equal("$2", client.CallText("GET", "foo"));

        Assert.Equal(
            new[]
            {
                (FooSlot, true, false, false),
                (FooSlot, false, false, false),
                (FooSlot, false, true, false),
                (FooSlot, true, true, false),
                (FooSlot, false, false, false),
                (FooSlot, false, false, false),
            },
            router.Calls.ToArray());
    }

    [Fact]
    public async Task Keys_in_different_slots_are_refused_with_CROSSSLOT_and_hash_tags_keep_them_together()
    {
        var router = new TestClusterRouter();
        await using var harness = Start(router);
        using var client = harness.Connect();
        const string CrossSlot = "-CROSSSLOT Keys in request don't hash to the same slot";

        Assert.Equal(CrossSlot, client.CallText("MSET", "a", "1", "b", "2"));
        Assert.Equal(CrossSlot, client.CallText("MGET", "a", "b"));
        Assert.Equal(CrossSlot, client.CallText("DEL", "a", "b"));
        Assert.Equal(CrossSlot, client.CallText("EXISTS", "a", "a", "b"));
        Assert.Equal(CrossSlot, client.CallText("UNLINK", "a", "b"));
        Assert.Equal(CrossSlot, client.CallText("MSETNX", "a", "1", "b", "2"));
        Assert.Equal(0, harness.Backend.Count());
        Assert.Empty(router.Calls);

        // MSET's values are not keys: a value in another slot does not matter.
        Assert.Equal("+OK", client.CallText("MSET", "{user1}:name", "b", "{user1}:mail", "a"));
        Assert.Equal("*[$b, $a]", client.CallText("MGET", "{user1}:name", "{user1}:mail"));
        Assert.Equal(":2", client.CallText("DEL", "{user1}:name", "{user1}:mail"));
        Assert.Equal("+OK", client.CallText("MSET", "a", "1", "a", "2")); // one key twice: one slot
        Assert.All(router.Calls.Take(3), call => Assert.Equal(HashSlot.Of("user1"), call.Slot));
        Assert.Equal(HashSlot.Of("a"), router.Calls.Last().Slot);
    }

    [Fact]
    public async Task Keyless_commands_run_even_when_no_slot_is_served_here()
    {
        var router = new TestClusterRouter();
        router.Set(0, HashSlot.Count - 1, new SlotRoute(SlotRouteKind.Moved, "10.0.0.2:6380"));
        await using var harness = Start(router);
        using var client = harness.Connect();

        Assert.Equal("+PONG", client.CallText("PING"));
        Assert.Equal("$hi", client.CallText("ECHO", "hi"));
        Assert.Equal(":0", client.CallText("DBSIZE"));
        Assert.Equal("*[$0, *[]]", client.CallText("SCAN", "0"));
        Assert.Equal(":12182", client.CallText("CLUSTER", "KEYSLOT", "foo"));
        Assert.Empty(router.Calls);
        Assert.Equal("-MOVED 12182 10.0.0.2:6380", client.CallText("GET", "foo"));
    }

    [Fact]
    public async Task Authentication_and_arity_are_checked_before_routing()
    {
        var router = new TestClusterRouter();
        router.Set(0, HashSlot.Count - 1, new SlotRoute(SlotRouteKind.Moved, "10.0.0.2:6380"));
        await using var harness = new ServerHarness(new KvServerOptions { Cluster = router, RequirePass = "pw" });
        using var client = harness.Connect();

        Assert.Equal("-NOAUTH Authentication required.", client.CallText("GET", "foo"));
        Assert.Equal("+OK", client.CallText("AUTH", "pw"));
        Assert.Equal("-ERR wrong number of arguments for 'get' command", client.CallText("GET", "foo", "bar"));
        Assert.Empty(router.Calls);
    }

    [Fact]
    public async Task Cluster_mode_shows_in_INFO_HELLO_and_SELECT()
    {
        await using var harness = Start(new TestClusterRouter());
        using var client = harness.Connect();

        var info = client.Call("INFO").Text!;
        Assert.Contains("# Cluster\r\ncluster_enabled:1\r\n", info, StringComparison.Ordinal);
        Assert.Contains("redis_mode:cluster\r\n", info, StringComparison.Ordinal);
        Assert.Equal("cluster", client.Call("HELLO", "3").AsMap()["mode"].Text);
        Assert.Equal("+OK", client.CallText("SELECT", "0"));
        Assert.Equal("-ERR SELECT is not allowed in cluster mode", client.CallText("SELECT", "1"));
    }

    [Fact]
    public async Task Standalone_mode_keeps_one_keyspace_and_refuses_cluster_commands_as_Redis_does()
    {
        await using var harness = new ServerHarness();
        using var client = harness.Connect();
        const string Disabled = "-ERR This instance has cluster support disabled";

        Assert.Equal("+OK", client.CallText("MSET", "a", "1", "b", "2"));
        Assert.Equal("*[$1, $2]", client.CallText("MGET", "a", "b"));
        Assert.Equal(Disabled, client.CallText("CLUSTER", "INFO"));
        Assert.Equal(Disabled, client.CallText("CLUSTER", "KEYSLOT", "foo"));
        Assert.Equal(Disabled, client.CallText("READONLY"));
        Assert.Equal(Disabled, client.CallText("READWRITE"));
        Assert.Equal(Disabled, client.CallText("ASKING"));
        Assert.Equal("-ERR unknown subcommand 'nosuch'. Try CLUSTER HELP.", client.CallText("CLUSTER", "nosuch"));
        Assert.Equal("-ERR wrong number of arguments for 'cluster' command", client.CallText("CLUSTER"));
        Assert.Equal("-ERR DB index is out of range", client.CallText("SELECT", "1"));

        var info = client.Call("INFO", "cluster").Text!;
        Assert.Equal("# Cluster\r\ncluster_enabled:0\r\n", info);
        Assert.Contains("redis_mode:standalone\r\n", client.Call("INFO", "server").Text!, StringComparison.Ordinal);
        Assert.Equal("standalone", client.Call("HELLO", "3").AsMap()["mode"].Text);
    }
}

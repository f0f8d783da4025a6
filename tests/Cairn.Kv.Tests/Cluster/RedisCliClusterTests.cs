using System.Globalization;
using Cairn.Core;
using Cairn.Kv.Cluster;
using Cairn.Kv.Server;
using Cairn.Kv.Tests.Support;
using Xunit.Abstractions;

namespace Cairn.Kv.Tests.Cluster;

/// <summary>redis-cli in cluster mode (<c>-c</c>) against two servers in this process that split the slots.</summary>
public class RedisCliClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Redis_cli_dash_c_follows_MOVED_between_two_servers_for_SET_and_GET()
    {
        if (!CairnServerFixture.HasRedisCli)
        {
            output.WriteLine("SKIPPED: redis-cli is not on PATH (install the redis-tools package); this test did not run.");
            return;
        }

        // First serves slots 0-8191, second 8192-16383; each redirects the other half with MOVED.
        var firstRouter = new TestClusterRouter();
        var secondRouter = new TestClusterRouter();
        await using var first = new ServerHarness(new KvServerOptions { Cluster = firstRouter });
        await using var second = new ServerHarness(new KvServerOptions { Cluster = secondRouter });
        firstRouter.Set(8192, HashSlot.Count - 1, new SlotRoute(SlotRouteKind.Moved, $"127.0.0.1:{second.EndPoint.Port}"));
        secondRouter.Set(0, 8191, new SlotRoute(SlotRouteKind.Moved, $"127.0.0.1:{first.EndPoint.Port}"));

        Assert.Equal(12182, HashSlot.Of("foo"));
        Assert.Equal(5061, HashSlot.Of("bar"));
        Assert.Equal("OK\n", Cli(first, "SET", "foo", "on-second"));
        Assert.Equal("OK\n", Cli(second, "SET", "bar", "on-first"));
        Assert.Equal("on-second\n", Cli(first, "GET", "foo"));
        Assert.Equal("on-first\n", Cli(second, "GET", "bar"));
        Assert.Equal("on-second\n", Cli(second, "GET", "foo"));

        // Each key is stored only by the server that serves its slot.
        Assert.True(second.Backend.Exists("foo"u8));
        Assert.False(first.Backend.Exists("foo"u8));
        Assert.True(first.Backend.Exists("bar"u8));
        Assert.False(second.Backend.Exists("bar"u8));

        // Without -c, redis-cli shows the redirection itself.
        var plain = ToolRunner.Run("redis-cli", ["-p", Port(first), "GET", "foo"]);
        Assert.Contains($"MOVED 12182 127.0.0.1:{Port(second)}", plain.Stdout + plain.Stderr, StringComparison.Ordinal);
    }

    private static string Port(ServerHarness server) => server.EndPoint.Port.ToString(CultureInfo.InvariantCulture);

    private string Cli(ServerHarness server, params string[] args)
    {
        var result = ToolRunner.Run("redis-cli", ["-c", "-p", Port(server), .. args]);
        output.WriteLine($"redis-cli -c {string.Join(' ', args)}: {result}");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("MOVED", result.Stdout, StringComparison.Ordinal);
        return result.Stdout;
    }

    [Fact]
    public async Task Redis_cli_dash_c_follows_ASK_with_ASKING_to_the_importing_server()
    {
        if (!CairnServerFixture.HasRedisCli)
        {
            output.WriteLine("SKIPPED: redis-cli is not on PATH (install the redis-tools package); this test did not run.");
            return;
        }

        // The slot of "baz" is moving from the first server to the second: the first answers ASK, the second serves
        // it only after ASKING (and otherwise sends clients back to the owner with MOVED).
        var slot = HashSlot.Of("baz");
        var firstRouter = new TestClusterRouter();
        var secondRouter = new TestClusterRouter();
        await using var first = new ServerHarness(new KvServerOptions { Cluster = firstRouter });
        await using var second = new ServerHarness(new KvServerOptions { Cluster = secondRouter });
        firstRouter.Set(slot, new SlotRoute(SlotRouteKind.Ask, $"127.0.0.1:{second.EndPoint.Port}"));
        secondRouter.Importing[slot] = new SlotRoute(SlotRouteKind.Moved, $"127.0.0.1:{first.EndPoint.Port}");

        Assert.Equal("OK\n", Cli(first, "SET", "baz", "moving"));
        Assert.True(second.Backend.Exists("baz"u8));
        Assert.False(first.Backend.Exists("baz"u8));
        Assert.Equal("moving\n", Cli(first, "GET", "baz"));
        Assert.Contains((slot, true, false, true), secondRouter.Calls);
    }
}

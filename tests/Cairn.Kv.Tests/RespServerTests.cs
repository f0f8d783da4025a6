using System.Text;
using Cairn.Kv.Server;
using Cairn.Kv.Tests.Support;

namespace Cairn.Kv.Tests;

public class RespServerTests
{
    [Fact]
    public async Task A_thousand_pipelined_commands_in_one_write_get_their_replies_in_order()
    {
        await using var harness = new ServerHarness();
        using var client = harness.Connect();
        using var requests = new MemoryStream();
        for (var i = 0; i < 1000; i++)
        {
            requests.Write(i % 2 == 0 ? RespClient.Encode("INCR", "counter") : RespClient.Encode("ECHO", $"echo {i}"));
        }

        client.SendRaw(requests.ToArray());
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(i % 2 == 0 ? $":{(i / 2) + 1}" : $"$echo {i}", client.Read().ToString());
        }

        Assert.Equal("$500", client.CallText("GET", "counter"));
    }

    [Fact]
    public async Task Pipelined_replies_larger_than_the_output_budget_all_arrive()
    {
        await using var harness = new ServerHarness();
        using var client = harness.Connect();
        var value = new string('v', 100 * 1024);
        Assert.Equal("+OK", client.CallText("SET", "big", value));

        using var requests = new MemoryStream();
        for (var i = 0; i < 40; i++)
        {
            requests.Write(RespClient.Encode("GET", "big")); // 4 MB of replies; the budget is 1 MiB a round
        }

        requests.Write(RespClient.Encode("PING"));
        client.SendRaw(requests.ToArray());
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(value, client.Read().Text);
        }

        Assert.Equal("+PONG", client.Read().ToString());
    }

    [Fact]
    public async Task A_value_sent_in_many_small_writes_is_stored_whole()
    {
        await using var harness = new ServerHarness();
        using var client = harness.Connect();
        var value = new byte[3 * 1024 * 1024];
        new Random(5).NextBytes(value);
        var request = RespClient.Encode("SET"u8.ToArray(), "blob"u8.ToArray(), value);
        for (var at = 0; at < request.Length; at += 7919)
        {
            client.SendRaw(request.AsSpan(at, Math.Min(7919, request.Length - at)));
        }

        Assert.Equal("+OK", client.Read().ToString());
        Assert.Equal(value, client.Call("GET", "blob").Bytes);
    }

    [Fact]
    public async Task Hello_3_switches_the_connection_to_RESP3_maps_and_nulls()
    {
        await using var harness = new ServerHarness();
        using var client = harness.Connect();
        Assert.Equal("0", client.Call("GET", "missing").Type.ToString()); // RESP2 null bulk string

        var hello = client.Call("HELLO", "3");
        Assert.Equal('%', hello.Type);
        var fields = hello.AsMap();
        Assert.Equal("redis", fields["server"].Text);
        Assert.Equal(3, fields["proto"].Integer);
        Assert.Equal("standalone", fields["mode"].Text);
        Assert.Equal("master", fields["role"].Text);
        Assert.Equal(':', fields["id"].Type);

        Assert.Equal('_', client.Call("GET", "missing").Type);
        Assert.Equal("+OK", client.CallText("SET", "k", "v"));
        Assert.Equal("$v", client.CallText("GET", "k"));
        var config = client.Call("CONFIG", "GET", "maxclients");
        Assert.Equal('%', config.Type);
        Assert.Equal("10000", config.AsMap()["maxclients"].Text);

        var back = client.Call("HELLO", "2");
        Assert.Equal('*', back.Type);
        Assert.Equal(2, back.AsMap()["proto"].Integer);
        Assert.Equal('0', client.Call("GET", "missing").Type);
        Assert.Equal("-NOPROTO unsupported protocol version", client.CallText("HELLO", "4"));
    }

    [Fact]
    public async Task With_requirepass_commands_need_AUTH_and_a_wrong_password_is_refused()
    {
        await using var harness = new ServerHarness(new KvServerOptions { RequirePass = "s3cret" });
        using var client = harness.Connect();
        Assert.Equal("-NOAUTH Authentication required.", client.CallText("GET", "k"));
        Assert.Equal("-NOAUTH Authentication required.", client.CallText("SET", "k", "v"));
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.", client.CallText("AUTH", "wrong"));
        Assert.Equal("-NOAUTH Authentication required.", client.CallText("GET", "k"));
        Assert.Equal("+OK", client.CallText("AUTH", "s3cret"));
        Assert.Equal("+OK", client.CallText("SET", "k", "v"));
        Assert.Equal("$v", client.CallText("GET", "k"));

        using var other = harness.Connect();
        Assert.Equal("-NOAUTH Authentication required.", other.CallText("GET", "k"));
        Assert.Equal("+OK", other.CallText("AUTH", "default", "s3cret"));
        Assert.Equal("$v", other.CallText("GET", "k"));

        using var hello = harness.Connect();
        Assert.StartsWith("-NOAUTH HELLO must be called with the client already authenticated", hello.CallText("HELLO", "3"), StringComparison.Ordinal);
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.", hello.CallText("HELLO", "3", "AUTH", "default", "nope"));
        var map = hello.Call("HELLO", "3", "AUTH", "default", "s3cret");
        Assert.Equal('%', map.Type);
        Assert.Equal("$v", hello.CallText("GET", "k"));
    }

    [Fact]
    public async Task Named_users_authenticate_with_their_own_passwords()
    {
        var users = new Dictionary<string, string> { ["alice"] = "wonderland", ["bob"] = "builder" };
        await using var harness = new ServerHarness(new KvServerOptions { Users = users });
        using var client = harness.Connect();
        Assert.Equal("-NOAUTH Authentication required.", client.CallText("GET", "k"));
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.", client.CallText("AUTH", "alice", "builder"));
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.", client.CallText("AUTH", "carol", "wonderland"));
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.", client.CallText("AUTH", "wonderland"));
        Assert.Equal("+OK", client.CallText("AUTH", "alice", "wonderland"));
        Assert.Contains("user=alice", client.Call("CLIENT", "INFO").Text, StringComparison.Ordinal);
        Assert.Equal("+OK", client.CallText("AUTH", "bob", "builder"));
        Assert.Contains("user=bob", client.Call("CLIENT", "INFO").Text, StringComparison.Ordinal);
        Assert.Equal("+RESET", client.CallText("RESET"));
        Assert.Equal("-NOAUTH Authentication required.", client.CallText("GET", "k"));
    }

    [Fact]
    public async Task Auth_without_a_configured_password_is_an_error()
    {
        await using var harness = new ServerHarness();
        using var client = harness.Connect();
        Assert.Equal(
            "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            client.CallText("AUTH", "anything"));
        Assert.Equal("+OK", client.CallText("SET", "k", "v"));
    }

    [Fact]
    public async Task Unknown_commands_and_wrong_arity_get_Redis_errors_and_the_connection_stays_usable()
    {
        await using var harness = new ServerHarness();
        using var client = harness.Connect();
        Assert.Equal("-ERR unknown command 'FOO', with args beginning with: 'a' 'b c' ", client.CallText("FOO", "a", "b c"));
        Assert.Equal("-ERR unknown command 'nope', with args beginning with: ", client.CallText("nope"));
        Assert.Equal("-ERR wrong number of arguments for 'get' command", client.CallText("GET"));
        Assert.Equal("-ERR wrong number of arguments for 'set' command", client.CallText("SET", "k"));
        Assert.Equal("-ERR wrong number of arguments for 'get' command", client.CallText("get", "a", "b"));
        Assert.Equal("-ERR wrong number of arguments for 'mset' command", client.CallText("MSET", "a", "1", "b"));
        Assert.Equal("-ERR syntax error", client.CallText("SET", "k", "v", "NX", "XX"));
        Assert.Equal("-ERR syntax error", client.CallText("SET", "k", "v", "EX", "10", "PX", "10"));
        Assert.Equal("-ERR value is not an integer or out of range", client.CallText("SET", "k", "v", "EX", "ten"));
        Assert.Equal("-ERR invalid expire time in 'set' command", client.CallText("SET", "k", "v", "EX", "0"));
        Assert.Equal("-ERR invalid expire time in 'set' command", client.CallText("SET", "k", "v", "PX", "-5"));
        Assert.Equal("-ERR invalid expire time in 'setex' command", client.CallText("SETEX", "k", "0", "v"));
        Assert.Equal("+OK", client.CallText("SET", "n", "abc"));
        Assert.Equal("-ERR value is not an integer or out of range", client.CallText("INCR", "n"));
        Assert.Equal("+OK", client.CallText("SET", "n", long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("-ERR increment or decrement would overflow", client.CallText("INCR", "n"));
        Assert.Equal("-ERR Unsupported option XY", client.CallText("EXPIRE", "n", "10", "XY"));
        Assert.Equal("-ERR NX and XX, GT or LT options at the same time are not compatible", client.CallText("EXPIRE", "n", "10", "NX", "XX"));
        Assert.Equal("-ERR invalid cursor", client.CallText("SCAN", "abc"));
        Assert.Equal("+PONG", client.CallText("PING"));
    }

    [Fact]
    public async Task Set_expiry_options_and_ttl_commands_follow_the_server_clock()
    {
        var clock = new ManualClock();
        await using var harness = new ServerHarness(clock: clock);
        using var client = harness.Connect();
        var now = clock.UnixMs;
        Assert.Equal("+OK", client.CallText("SET", "ex", "v", "EX", "10"));
        Assert.Equal("+OK", client.CallText("SET", "px", "v", "PX", "1500"));
        Assert.Equal("+OK", client.CallText("SET", "exat", "v", "EXAT", ((now / 1000) + 20).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("+OK", client.CallText("SET", "pxat", "v", "PXAT", (now + 2500).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(":10", client.CallText("TTL", "ex"));
        Assert.Equal(":1500", client.CallText("PTTL", "px"));
        // EXAT is whole seconds while the clock has milliseconds: TTL rounds what is left to the nearest second.
        var exatLeft = ((((now / 1000) + 20) * 1000) - now + 500) / 1000;
        Assert.Equal($":{exatLeft}", client.CallText("TTL", "exat"));
        Assert.Equal(":2500", client.CallText("PTTL", "pxat"));
        Assert.Equal($":{now + 2500}", client.CallText("PEXPIRETIME", "pxat"));
        Assert.Equal("+OK", client.CallText("SET", "ex", "v2", "KEEPTTL"));
        Assert.Equal(":10", client.CallText("TTL", "ex"));
        Assert.Equal("+OK", client.CallText("SET", "nottl", "v"));
        Assert.Equal(":-1", client.CallText("TTL", "nottl"));
        Assert.Equal(":-2", client.CallText("TTL", "missing"));

        clock.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal("(nil)", client.CallText("GET", "px"));
        Assert.Equal("$v", client.CallText("GET", "pxat"));
        Assert.Equal(":1", client.CallText("PERSIST", "pxat"));
        Assert.Equal(":-1", client.CallText("TTL", "pxat"));
        Assert.Equal(":0", client.CallText("EXPIRE", "pxat", "100", "XX"));
        Assert.Equal(":1", client.CallText("EXPIRE", "pxat", "100", "NX"));
        Assert.Equal(":0", client.CallText("EXPIRE", "pxat", "50", "GT"));
        Assert.Equal(":1", client.CallText("EXPIRE", "pxat", "50", "LT"));
        Assert.Equal(":50", client.CallText("TTL", "pxat"));
        Assert.Equal("$v", client.CallText("GETEX", "pxat", "PERSIST"));
        Assert.Equal(":-1", client.CallText("TTL", "pxat"));
        Assert.Equal("$v", client.CallText("GETDEL", "pxat"));
        Assert.Equal(":0", client.CallText("EXISTS", "pxat"));
    }

    [Fact]
    public async Task Quit_replies_OK_and_closes_the_connection()
    {
        await using var harness = new ServerHarness();
        using var client = harness.Connect();
        client.SendRaw([.. RespClient.Encode("QUIT"), .. RespClient.Encode("PING")]);
        Assert.Equal("+OK", client.Read().ToString());
        Assert.True(client.IsClosedByServer(TimeSpan.FromSeconds(10)), "QUIT did not close the connection (or PING after it was answered)");
        Deadline.WaitUntil(() => harness.Server.ClientCount == 0, TimeSpan.FromSeconds(10), "the server to forget the client");
    }

    [Fact]
    public async Task Beyond_max_clients_a_new_connection_is_told_and_closed()
    {
        await using var harness = new ServerHarness(new KvServerOptions { MaxClients = 2 });
        using var first = harness.Connect();
        using var second = harness.Connect();
        Assert.Equal("+PONG", first.CallText("PING"));
        Assert.Equal("+PONG", second.CallText("PING"));

        using (var third = harness.Connect())
        {
            Assert.Equal("-ERR max number of clients reached", third.Read().ToString());
            Assert.True(third.IsClosedByServer(TimeSpan.FromSeconds(10)));
        }

        Assert.Equal("+PONG", first.CallText("PING"));
        second.Dispose();
        Deadline.WaitUntil(() => harness.Server.ClientCount == 1, TimeSpan.FromSeconds(10), "the server to forget the closed client");
        using var fourth = harness.Connect();
        Assert.Equal("+PONG", fourth.CallText("PING"));
        Assert.Contains("rejected_connections:1", fourth.Call("INFO", "stats").Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length")]
    [InlineData("*99999999\r\n", "-ERR Protocol error: invalid multibulk length")]
    [InlineData("*2\r\n*1\r\n", "-ERR Protocol error: expected '$', got '*'")]
    [InlineData("SET \"unbalanced\r\n", "-ERR Protocol error: unbalanced quotes in request")]
    public async Task A_protocol_error_closes_only_that_connection(string garbage, string error)
    {
        await using var harness = new ServerHarness();
        using var good = harness.Connect();
        Assert.Equal("+OK", good.CallText("SET", "k", "v"));
        using var bad = harness.Connect();
        Assert.Equal("+PONG", bad.CallText("PING"));
        bad.SendRaw(garbage);
        Assert.Equal(error, bad.Read().ToString());
        Assert.True(bad.IsClosedByServer(TimeSpan.FromSeconds(10)), "the connection stayed open after a protocol error");

        Assert.Equal("$v", good.CallText("GET", "k"));
        Deadline.WaitUntil(() => harness.Server.ClientCount == 1, TimeSpan.FromSeconds(10), "the server to forget the bad client");
    }

    [Fact]
    public async Task Inline_commands_work_over_the_socket()
    {
        await using var harness = new ServerHarness();
        using var client = harness.Connect();
        client.SendRaw("SET greeting \"hello world\\n\"\r\nGET greeting\r\n\r\nPING\n");
        Assert.Equal("+OK", client.Read().ToString());
        Assert.Equal("$hello world\n", client.Read().ToString());
        Assert.Equal("+PONG", client.Read().ToString());
    }

    [Fact]
    public async Task Acknowledged_writes_are_in_the_store_after_the_server_stops()
    {
        using var dir = new TempDirectory();
        var store = Cairn.Storage.LogStore.LogStore.Open(dir.Path);
        using (var backend = new Cairn.Kv.Keyspace.LocalKvBackend(store))
        {
            var server = new RespServer(backend, new KvServerOptions { Port = 0 }, log: _ => { });
            server.Start();
            await using (server)
            {
                using var client = new RespClient(server.LocalEndPoint!);
                Assert.Equal("+OK", client.CallText("MSET", "a", "1", "b", "2"));
                Assert.Equal(":3", client.CallText("INCRBY", "a", "2"));
                Assert.Equal(":2", client.CallText("DBSIZE"));
            }
        }

        using var reopened = new Cairn.Kv.Keyspace.LocalKvBackend(Cairn.Storage.LogStore.LogStore.Open(dir.Path));
        using var buffer = new Cairn.Kv.Keyspace.ValueBuffer();
        Assert.True(reopened.TryGet("a"u8, buffer));
        Assert.Equal("3", Encoding.UTF8.GetString(buffer.Value));
        Assert.Equal(2, reopened.Count());
    }
}

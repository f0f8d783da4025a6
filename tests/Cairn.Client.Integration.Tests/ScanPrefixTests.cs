using System.Text;
using Cairn.Client.Resp;
using Cairn.Kv.Keyspace;
using Cairn.Testing;

namespace Cairn.Client.Integration.Tests;

/// <summary>CAIRN.SCANPREFIX, CAIRN.GETSIZE and CAIRN.SYNC on the wire, and the cursor encoding.</summary>
public sealed class ScanPrefixTests(CairnServerProcess server) : IClassFixture<CairnServerProcess>
{
    [Theory]
    [InlineData(new byte[0], "k")]
    [InlineData(new byte[] { 0x00, 0xff, 0x2f, 0x61 }, "k00ff2f61")]
    public void Cursors_are_k_and_the_hex_of_the_key_and_round_trip(byte[] key, string cursor)
    {
        Assert.Equal(cursor, PrefixScanCursor.Encode(key));
        Assert.True(PrefixScanCursor.TryDecode(Encoding.ASCII.GetBytes(cursor), out var decoded));
        Assert.Equal(key, decoded);
        Assert.True(PrefixScanCursor.TryDecode(Encoding.ASCII.GetBytes(cursor.ToUpperInvariant().Replace('K', 'k')), out decoded));
        Assert.Equal(key, decoded);
    }

    [Fact]
    public void The_start_cursor_is_zero_and_a_finished_scan_returns_it()
    {
        Assert.Equal("0", PrefixScanCursor.Encode(null));
        Assert.True(PrefixScanCursor.TryDecode("0"u8, out var after));
        Assert.Null(after);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("k0")]
    [InlineData("k0g")]
    [InlineData("x00")]
    [InlineData("00")]
    public void Malformed_cursors_are_refused(string cursor) =>
        Assert.False(PrefixScanCursor.TryDecode(Encoding.ASCII.GetBytes(cursor), out _));

    [Fact]
    public async Task Pages_follow_byte_order_resume_on_a_new_connection_and_end_with_cursor_zero()
    {
        var prefix = "scan-" + Guid.NewGuid().ToString("N") + "/";
        await using (var writer = new RespClient(Options()))
        {
            foreach (var name in new[] { "b", "a", "\u00e9", "B", "a/b", "a-b", "z" })
            {
                await writer.ExecuteAsync(new RespCommand("SET").Add(prefix + name).Add("v-" + name));
            }

            await writer.ExecuteAsync(new RespCommand("SET").Add(prefix[..^1]).Add("not under the prefix"));
        }

        var keys = new List<string>();
        var cursor = "0";
        var pages = 0;
        do
        {
            // A fresh client per page: cursors are stateless.
            await using var client = new RespClient(Options());
            var reply = await client.ExecuteAsync(new RespCommand("CAIRN.SCANPREFIX").Add(prefix).Add(cursor).Add("COUNT").Add(2).Add("VALUES"));
            var page = ScanPrefixReply.Parse(reply.AsArray(), withValues: true);
            Assert.True(page.Entries.Count <= 2);
            foreach (var entry in page.Entries)
            {
                var key = Encoding.UTF8.GetString(entry.Key);
                keys.Add(key[prefix.Length..]);
                Assert.Equal("v-" + key[prefix.Length..], Encoding.UTF8.GetString(entry.Value!));
                Assert.Equal(entry.Value!.Length, entry.Size);
            }

            cursor = page.Cursor;
            pages++;
        }
        while (cursor != "0");

        Assert.Equal(["B", "a", "a-b", "a/b", "b", "z", "\u00e9"], keys);
        Assert.InRange(pages, 4, 5);
    }

    [Fact]
    public async Task Getsize_tells_an_absent_key_from_an_empty_value_and_sync_replies_ok()
    {
        await using var client = new RespClient(Options());
        var key = "size-" + Guid.NewGuid().ToString("N");
        Assert.Equal(-1, (await client.ExecuteAsync(new RespCommand("CAIRN.GETSIZE").Add(key))).AsInteger());
        await client.ExecuteAsync(new RespCommand("SET").Add(key).Add(string.Empty));
        Assert.Equal(0, (await client.ExecuteAsync(new RespCommand("CAIRN.GETSIZE").Add(key))).AsInteger());
        await client.ExecuteAsync(new RespCommand("SET").Add(key).Add("12345").Add("EX").Add(100));
        Assert.Equal(5, (await client.ExecuteAsync(new RespCommand("CAIRN.GETSIZE").Add(key))).AsInteger());
        Assert.Equal("OK", (await client.ExecuteAsync(new RespCommand("CAIRN.SYNC"))).Text);
    }

    [Fact]
    public async Task Keys_only_sizes_do_not_count_the_expiry_header()
    {
        await using var client = new RespClient(Options());
        var prefix = "ttl-" + Guid.NewGuid().ToString("N") + "/";
        await client.ExecuteAsync(new RespCommand("SET").Add(prefix + "a").Add("abc").Add("PX").Add(100_000));
        await client.ExecuteAsync(new RespCommand("SET").Add(prefix + "b").Add("abcd"));
        var reply = await client.ExecuteAsync(new RespCommand("CAIRN.SCANPREFIX").Add(prefix).Add("0"));
        var page = ScanPrefixReply.Parse(reply.AsArray(), withValues: false);
        Assert.True(page.IsLast);
        Assert.Equal([3, 4], page.Entries.Select(e => e.Size));
    }

    [Theory]
    [InlineData("COUNT", "0")]
    [InlineData("COUNT", "10001")]
    public async Task Count_out_of_range_is_a_clear_error(string option, string value)
    {
        await using var client = new RespClient(Options());
        var error = await Assert.ThrowsAsync<RespServerException>(() => client.ExecuteAsync(new RespCommand("CAIRN.SCANPREFIX").Add("p").Add("0").Add(option).Add(value)));
        Assert.Equal("ERR COUNT must be between 1 and 10000", error.Message);
    }

    [Fact]
    public async Task A_bad_cursor_or_option_is_an_error_and_the_connection_stays_usable()
    {
        await using var client = new RespClient(Options() with { MaxConnections = 1 });
        var error = await Assert.ThrowsAsync<RespServerException>(() => client.ExecuteAsync(new RespCommand("CAIRN.SCANPREFIX").Add("p").Add("12")));
        Assert.Equal("ERR invalid cursor", error.Message);
        await Assert.ThrowsAsync<RespServerException>(() => client.ExecuteAsync(new RespCommand("CAIRN.SCANPREFIX").Add("p").Add("0").Add("NOPE")));
        Assert.Equal("PONG", (await client.ExecuteAsync(new RespCommand("PING"))).Text);
    }

    [Fact]
    public async Task A_pipeline_returns_one_reply_per_command_in_order()
    {
        await using var client = new RespClient(Options());
        var key = "pipe-" + Guid.NewGuid().ToString("N");
        var replies = await client.PipelineAsync(
        [
            new RespCommand("SET").Add(key).Add("1"),
            new RespCommand("INCR").Add(key),
            new RespCommand("NOSUCHCOMMAND"),
            new RespCommand("GET").Add(key),
        ]);
        Assert.Equal("OK", replies[0].Text);
        Assert.Equal(2, replies[1].AsInteger());
        Assert.True(replies[2].IsError);
        Assert.Equal("2", replies[3].AsString());
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_is_a_connection_error_naming_the_address()
    {
        var port = FreePort();
        await using var client = new RespClient(new RespClientOptions { Port = port });
        var error = await Assert.ThrowsAsync<RespConnectionException>(() => client.ExecuteAsync(new RespCommand("PING")));
        Assert.Contains($"cannot reach Cairn at 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
    }

    private RespClientOptions Options() => new() { Port = server.Port };

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

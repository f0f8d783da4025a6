using System.Net.Sockets;
using Cairn.Rpc.Framing;
using Cairn.Rpc.Protocol;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class MalformedFrameTests
{
    [Theory]
    [InlineData("garbage-before-handshake", false, "malformed handshake: bad frame magic")]
    [InlineData("garbage-after-handshake", true, "bad frame magic")]
    [InlineData("oversized-length", true, "the limit is 67108864 bytes")]
    [InlineData("bad-crc", true, "fails its checksum")]
    [InlineData("truncated", true, "in the middle of a frame")]
    [InlineData("handshake-frame-after-handshake", true, "unexpected Hello frame")]
    [InlineData("invalid-protobuf", true, "invalid RequestHeader")]
    [InlineData("nonzero-flags", true, "must be zero")]
    public async Task Malformed_frame_closes_only_its_connection_with_a_logged_reason(string kind, bool handshake, string loggedReason)
    {
        var log = new CollectingLogger();
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), logger: log);
        await using var good = TestCluster.PeerOf(server);
        await good.CallAsync("echo", new BytesValue());

        await using var bad = await RawConnection.ConnectAsync(server.LocalEndPoint!, handshake);
        await bad.SendAsync(Malformed(kind));
        if (kind == "truncated")
        {
            bad.Socket.Shutdown(SocketShutdown.Send);
        }

        Assert.True(await bad.WaitForCloseAsync(), "the server should close the bad connection");
        await Poll.UntilAsync(() => log.Contains(loggedReason), $"'{loggedReason}' in the log; got: {string.Join(" | ", log.Lines)}");
        // The well-behaved peer's connection was untouched.
        Assert.True(good.IsConnected);
        var response = await good.CallAsync("echo", new BytesValue());
        Assert.NotNull(response);
    }

    private static byte[] Malformed(string kind)
    {
        switch (kind)
        {
            case "garbage-before-handshake":
            case "garbage-after-handshake":
                return "GET / HTTP/1.1\r\nHost: cairn\r\n\r\n"u8.ToArray();
            case "oversized-length":
                return Frames.HeaderOnly(FrameType.Request, 0, 100u << 20);
            case "bad-crc":
                var frame = Frames.Request(1, "echo", new byte[100]);
                frame[^1] ^= 0x40;
                return frame;
            case "truncated":
                var whole = Frames.Request(1, "echo", new byte[100]);
                return whole[..(whole.Length / 2)];
            case "handshake-frame-after-handshake":
                return Frames.Valid(FrameType.Hello, 0, new Hello { NodeId = "again" });
            case "invalid-protobuf":
                // Field 1 announces 16 bytes and the message ends after none of them.
                return Frames.WithRawMessage(FrameType.Request, 1, [0x0a, 0x10]);
            case "nonzero-flags":
                var flagged = Frames.Request(1, "echo");
                flagged[4] = 1;
                return flagged;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}

using System.Buffers;
using System.Diagnostics;
using Cairn.Rpc.Framing;
using Cairn.Rpc.Protocol;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class FuzzTests
{
    private static readonly FrameType[] Types = System.Enum.GetValues<FrameType>();

    [Fact]
    public void Decoder_never_fails_other_than_with_a_format_error()
    {
        var random = new Random(12345);
        var decoder = new FrameDecoder(1 << 16, 1 << 16);
        for (var i = 0; i < 50_000; i++)
        {
            var bytes = RandomFrame(random);
            var buffer = new ReadOnlySequence<byte>(bytes);
            try
            {
                while (decoder.TryRead(ref buffer, out var frame))
                {
                    Assert.True(frame!.Message.Length <= decoder.MaxMessageBytes);
                    Assert.True(frame.Payload.Length <= decoder.MaxPayloadBytes);
                }
            }
            catch (FrameFormatException)
            {
            }
        }
    }

    [Fact]
    public async Task Server_survives_a_few_seconds_of_random_frames_and_keeps_serving()
    {
        var log = new CollectingLogger();
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), logger: log);
        await using var good = TestCluster.PeerOf(server);
        var random = new Random(2026);
        var clock = Stopwatch.StartNew();
        var connections = 0;

        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            await using var raw = await RawConnection.ConnectAsync(server.LocalEndPoint!, handshake: random.Next(4) != 0);
            connections++;
            for (var n = random.Next(1, 8); n > 0; n--)
            {
                try
                {
                    await raw.SendAsync(RandomFrame(random));
                }
                catch (IOException)
                {
                    break; // the server already closed this one
                }
            }

            var response = await good.CallAsync("echo", new BytesValue { Value = ByteString.CopyFromUtf8("still here") });
            Assert.Equal("still here", response.ParseBody(BytesValue.Parser).Value.ToStringUtf8());
        }

        Assert.True(connections > 10, $"only {connections} fuzz connections ran");
        Assert.DoesNotContain(log.Lines, line => line.Contains("unexpectedly", StringComparison.Ordinal));
        Assert.True(good.IsConnected);
    }

    /// <summary>Valid frames of every type, valid frames with a byte flipped, or plain noise.</summary>
    private static byte[] RandomFrame(Random random)
    {
        var type = Types[random.Next(Types.Length)];
        var id = (ulong)random.Next(0, 4);
        IMessage? message = random.Next(5) switch
        {
            0 => null,
            1 => new RequestHeader { Method = random.Next(2) == 0 ? "echo" : "nope", TimeoutMs = (ulong)random.Next(0, 100), Body = new BytesValue().ToByteString() },
            2 => new ResponseHeader { Status = random.Next(-2, 12), Error = "x" },
            3 => new StreamCredit { Bytes = (ulong)random.NextInt64() },
            _ => new StreamEnd { Status = random.Next(3) },
        };
        var payload = new byte[random.Next(0, 3) == 0 ? random.Next(0, 5000) : 0];
        random.NextBytes(payload);
        var frame = Frames.Valid(type, id, message, payload);
        switch (random.Next(4))
        {
            case 0:
                return frame;
            case 1:
                frame[random.Next(frame.Length)] ^= (byte)(1 << random.Next(8));
                return frame;
            case 2:
                return frame[..random.Next(frame.Length)];
            default:
                var noise = new byte[random.Next(1, 200)];
                random.NextBytes(noise);
                return noise;
        }
    }
}

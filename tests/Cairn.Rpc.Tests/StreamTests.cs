using Cairn.Core;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class StreamTests
{
    [Fact]
    public async Task A_64_MiB_stream_to_a_slow_receiver_keeps_buffered_bytes_within_one_window()
    {
        const int total = 64 << 20;
        const int window = 1 << 20;
        RpcStreamRequest? seen = null;
        var router = new RpcRouter().MapStream("install-snapshot", async (stream, cancellationToken) =>
        {
            seen = stream;
            var crc = 0u;
            long length = 0;
            var chunks = 0;
            await foreach (var chunk in stream.ReadChunksAsync(cancellationToken))
            {
                crc = Crc32C.Append(crc, chunk.Span);
                length += chunk.Length;
                // A slow consumer: the sender must wait for it instead of piling data up in its memory.
                if (++chunks % 4 == 0)
                {
                    await Task.Delay(1, cancellationToken);
                }
            }

            return new RpcReply(new StringValue { Value = $"{length}:{crc:x8}" });
        });
        var serverOptions = new RpcOptions { NodeId = "server", ClusterSecret = TestCluster.Secret, StreamWindowBytes = window, StreamChunkBytes = 64 << 10 };
        await using var server = TestCluster.StartServer(router, serverOptions);
        var clientOptions = new RpcOptions { NodeId = "client", ClusterSecret = TestCluster.Secret, StreamWindowBytes = window, StreamChunkBytes = 64 << 10 };
        await using var peer = TestCluster.PeerOf(server, clientOptions);

        var data = new byte[4 << 20];
        new Random(7).NextBytes(data);
        var expectedCrc = 0u;
        await using var writer = await peer.OpenStreamAsync("install-snapshot", new StringValue { Value = "group-1" });
        for (var sent = 0; sent < total; sent += data.Length)
        {
            await writer.WriteAsync(data);
            expectedCrc = Crc32C.Append(expectedCrc, data);
        }

        var response = await writer.CompleteAsync();

        Assert.Equal($"{total}:{expectedCrc:x8}", response.ParseBody(StringValue.Parser).Value);
        Assert.Equal(total, writer.BytesSent);
        Assert.True(seen!.Incoming.MaxBufferedBytes <= window, $"receiver buffered {seen.Incoming.MaxBufferedBytes} bytes");
        Assert.True(writer.MaxOutstandingBytes <= window, $"sender had {writer.MaxOutstandingBytes} bytes unconsumed");
        Assert.True(writer.CreditWaits > 0, "the sender never had to wait for the receiver");
    }

    [Fact]
    public async Task Stream_can_be_read_as_a_Stream_and_carries_its_opening_message()
    {
        var router = new RpcRouter().MapStream("upload", async (stream, cancellationToken) =>
        {
            var name = stream.ParseBody(StringValue.Parser).Value;
            await using var input = stream.AsStream();
            using var copy = new MemoryStream();
            await input.CopyToAsync(copy, cancellationToken);
            return new RpcReply(new StringValue { Value = name }, copy.ToArray());
        });
        await using var server = TestCluster.StartServer(router);
        await using var peer = TestCluster.PeerOf(server);
        var data = new byte[1_000_000];
        new Random(3).NextBytes(data);

        await using var writer = await peer.OpenStreamAsync("upload", new StringValue { Value = "chunk-42" });
        await writer.WriteAsync(data.AsMemory(0, 300_000));
        await writer.WriteAsync(data.AsMemory(300_000));
        var response = await writer.CompleteAsync();

        Assert.Equal("chunk-42", response.ParseBody(StringValue.Parser).Value);
        Assert.Equal(data, response.Payload.ToArray());
    }

    [Fact]
    public async Task Receiver_failing_early_stops_the_sender_with_the_receivers_error()
    {
        var router = new RpcRouter().MapStream("picky", async (stream, cancellationToken) =>
        {
            await foreach (var _ in stream.ReadChunksAsync(cancellationToken))
            {
                throw new RpcException(RpcStatus.InvalidArgument, "checksum of block 0 is wrong");
            }

            return RpcReply.Empty;
        });
        await using var server = TestCluster.StartServer(router);
        await using var peer = TestCluster.PeerOf(server);
        await using var writer = await peer.OpenStreamAsync("picky");

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            var chunk = new byte[64 << 10];
            for (var i = 0; i < 10_000; i++)
            {
                await writer.WriteAsync(chunk);
            }
        });

        Assert.Equal(RpcStatus.InvalidArgument, error.Status);
        Assert.Contains("checksum of block 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_to_a_method_with_no_stream_handler_fails_the_sender()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter());
        await using var peer = TestCluster.PeerOf(server);
        await using var writer = await peer.OpenStreamAsync("echo");

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                await writer.WriteAsync(new byte[256 << 10]);
            }
        });

        Assert.Equal(RpcStatus.UnknownMethod, error.Status);
        Assert.Contains("no stream handler for 'echo'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sender_abort_reaches_the_receiver_as_aborted()
    {
        var outcome = new TaskCompletionSource<RpcStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        var router = new RpcRouter().MapStream("abortable", async (stream, cancellationToken) =>
        {
            try
            {
                await foreach (var _ in stream.ReadChunksAsync(cancellationToken))
                {
                }

                outcome.TrySetResult(RpcStatus.Ok);
            }
            catch (RpcException e)
            {
                outcome.TrySetResult(e.Status);
                throw;
            }

            return RpcReply.Empty;
        });
        await using var server = TestCluster.StartServer(router);
        await using var peer = TestCluster.PeerOf(server);

        var writer = await peer.OpenStreamAsync("abortable");
        await writer.WriteAsync(new byte[1000]);
        await writer.DisposeAsync();

        Assert.Equal(RpcStatus.Aborted, await outcome.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}

using System.Net;
using System.Net.Sockets;
using Cairn.Rpc.Handshake;
using Cairn.Rpc.Tests.Support;

namespace Cairn.Rpc.Tests;

public sealed class SendQueueTests
{
    [Fact]
    public async Task Send_queue_full_fails_fast_with_resource_exhausted()
    {
        // A node that completes the handshake and then never reads: the socket's buffers fill, then the queue.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var stalled = Task.Run(async () =>
        {
            var socket = await listener.AcceptAsync();
            var stream = new NetworkStream(socket, ownsSocket: true);
            await ClusterHandshake.AcceptAsync(stream, TestCluster.Options("stalled"), CancellationToken.None);
            return stream;
        });
        var options = new RpcOptions { NodeId = "client", ClusterSecret = TestCluster.Secret, SendQueueLimit = 8, SendQueueLimitBytes = 4 << 20 };
        await using var peer = new RpcPeer(listener.LocalEndPoint!, options);
        await peer.ConnectAsync();
        await using var stalledStream = await stalled;
        var payload = new byte[1 << 20];

        RpcException? error = null;
        for (var i = 0; i < 1000 && error is null; i++)
        {
            try
            {
                await peer.SendAsync("raft.append", payload: payload);
            }
            catch (RpcException e)
            {
                error = e;
            }
        }

        Assert.NotNull(error);
        Assert.Equal(RpcStatus.ResourceExhausted, error.Status);
        Assert.Contains("send queue", error.Message, StringComparison.Ordinal);
        Assert.True(peer.Connection!.QueuedFrames <= options.SendQueueLimit);
    }

    [Fact]
    public async Task Peer_that_calls_but_never_reads_its_answers_is_disconnected()
    {
        // Answers skip the send-queue limit (their calls bound them), but not without end: at twice the limit the
        // server gives up on a peer that does not read.
        var log = new CollectingLogger();
        var options = new RpcOptions { NodeId = "server", ClusterSecret = TestCluster.Secret, SendQueueLimit = 4, SendQueueLimitBytes = 2 << 20 };
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), options, log);
        await using var greedy = await RawConnection.ConnectAsync(server.LocalEndPoint!, handshake: true);
        var payload = new byte[1 << 20];

        for (ulong id = 1; id <= 200 && !log.Contains("does not read"); id++)
        {
            try
            {
                await greedy.SendAsync(Frames.Request(id, "echo", payload));
            }
            catch (IOException)
            {
                break;
            }
        }

        await Poll.UntilAsync(() => log.Contains("does not read"), "the server to give up on the greedy peer");
        Assert.True(await greedy.WaitForCloseAsync());
    }
}

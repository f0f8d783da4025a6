using Cairn.Rpc.Tests.Support;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class KeepAliveTests
{
    private static RpcOptions Fast(string nodeId, int intervalMs = 100) => new()
    {
        NodeId = nodeId,
        ClusterSecret = TestCluster.Secret,
        KeepAliveInterval = TimeSpan.FromMilliseconds(intervalMs),
    };

    [Fact]
    public async Task Peer_that_goes_silent_after_the_handshake_is_dropped()
    {
        var log = new CollectingLogger();
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), Fast("server"), log);
        await using var silent = await RawConnection.ConnectAsync(server.LocalEndPoint!, handshake: true);

        Assert.True(await silent.WaitForCloseAsync(), "the server should drop a peer that sends nothing");
        await Poll.UntilAsync(() => log.Contains("the peer is gone or stalled"), "the keepalive reason in the log");
        await Poll.UntilAsync(() => server.ConnectionCount == 0, "the connection to be forgotten");
    }

    [Fact]
    public async Task Idle_but_healthy_connection_is_kept_open_by_pings()
    {
        // A wider interval than the silent case: the machine is shared with parallel tests, and a late tick must
        // not look like a dead peer.
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), Fast("server", 500));
        await using var peer = TestCluster.PeerOf(server, Fast("client", 500));
        await peer.ConnectAsync();
        var connection = peer.Connection;

        // Longer than the 1.5 s silence limit, with no traffic from either application: without pings the
        // connection would be dropped. This asserts that nothing happens, so it has to wait.
        await Task.Delay(2000);

        Assert.True(peer.IsConnected);
        Assert.Same(connection, peer.Connection);
        Assert.NotNull(await peer.CallAsync("echo", new BytesValue()));
    }
}

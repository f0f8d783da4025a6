using System.Security.Cryptography;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class HandshakeTests
{
    [Fact]
    public async Task Wrong_cluster_secret_is_rejected_with_a_clear_error_on_both_sides()
    {
        var log = new CollectingLogger();
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), logger: log);
        await using var stranger = TestCluster.PeerOf(server, TestCluster.Options("stranger", RandomNumberGenerator.GetBytes(32)));

        var error = await Assert.ThrowsAsync<RpcException>(() => stranger.CallAsync("echo", new BytesValue()));

        Assert.Equal(RpcStatus.Unauthenticated, error.Status);
        Assert.Contains("wrong secret", error.Message, StringComparison.Ordinal);
        Assert.False(stranger.IsConnected);
        Assert.Equal(0, server.ConnectionCount);
        await Poll.UntilAsync(() => log.Contains("node 'stranger' did not prove the cluster secret"), "the server to log the rejection");
    }

    [Fact]
    public async Task Server_that_does_not_know_the_secret_cannot_impersonate_a_node()
    {
        // The acceptor must prove the secret too: a client never talks to an impostor that merely accepts it.
        var impostorOptions = TestCluster.Options("impostor", RandomNumberGenerator.GetBytes(32));
        await using var impostor = TestCluster.StartServer(TestCluster.EchoRouter(), impostorOptions);
        await using var peer = TestCluster.PeerOf(impostor);

        var error = await Assert.ThrowsAsync<RpcException>(() => peer.ConnectAsync());

        Assert.Equal(RpcStatus.Unauthenticated, error.Status);
    }

    [Fact]
    public async Task Both_sides_learn_each_others_node_id()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("meta-1"));
        await using var peer = TestCluster.PeerOf(server, TestCluster.Options("kv-3"));

        await peer.ConnectAsync();

        Assert.Equal("meta-1", peer.RemoteNodeId);
        await Poll.UntilAsync(() => server.Connections.Any(c => c.RemoteNodeId == "kv-3"), "the server to register kv-3");
    }

    [Fact]
    public async Task Dialing_an_address_that_now_belongs_to_another_node_is_refused()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("meta-2"));
        await using var peer = new RpcPeer(server.LocalEndPoint!, TestCluster.Options("client"), expectedNodeId: "meta-1");

        var error = await Assert.ThrowsAsync<RpcException>(() => peer.ConnectAsync());

        Assert.Equal(RpcStatus.Unauthenticated, error.Status);
        Assert.Contains("reached node 'meta-2'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_claiming_the_servers_own_id_is_refused()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("meta-1"));
        await using var twin = TestCluster.PeerOf(server, TestCluster.Options("meta-1"));

        var error = await Assert.ThrowsAsync<RpcException>(() => twin.ConnectAsync());

        Assert.Equal(RpcStatus.Unauthenticated, error.Status);
        Assert.Contains("node ids must be unique", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silent_connection_is_dropped_after_the_handshake_timeout()
    {
        var log = new CollectingLogger();
        var options = new RpcOptions { NodeId = "server", ClusterSecret = TestCluster.Secret, HandshakeTimeout = TimeSpan.FromMilliseconds(200) };
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), options, log);
        await using var silent = await RawConnection.ConnectAsync(server.LocalEndPoint!, handshake: false);

        Assert.True(await silent.WaitForCloseAsync());
        await Poll.UntilAsync(() => log.Contains("no handshake within 200 ms"), "the timeout to be logged");
    }

    [Fact]
    public void Short_secrets_are_refused_when_options_are_validated()
    {
        var options = TestCluster.Options("n", new byte[8]);

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("ClusterSecret", error.Message, StringComparison.Ordinal);
    }
}

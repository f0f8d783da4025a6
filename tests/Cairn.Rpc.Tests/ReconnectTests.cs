using System.Net;
using Cairn.Rpc.Connection;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class ReconnectTests
{
    [Fact]
    public async Task Peer_reconnects_after_the_server_restarts_on_the_same_port()
    {
        // Its own loopback address, so no parallel test's server can take the port while this one is down.
        var address = IPAddress.Parse("127.0.0.3");
        var first = TestCluster.StartServer(TestCluster.EchoRouter(), address: address);
        var port = first.LocalEndPoint!.Port;
        await using var peer = TestCluster.PeerOf(first);
        await peer.CallAsync("echo", new BytesValue());

        await first.DisposeAsync();
        await Poll.UntilAsync(() => !peer.IsConnected, "the peer to notice the server went away");
        // While the server is down, a call with a short deadline fails as unavailable.
        var down = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("echo", new BytesValue(), timeout: TimeSpan.FromMilliseconds(300)));
        Assert.Equal(RpcStatus.Unavailable, down.Status);

        await using var second = TestCluster.StartServer(TestCluster.EchoRouter(), port: port, address: address);
        var response = await peer.CallAsync("echo", new BytesValue(), timeout: TimeSpan.FromSeconds(10));

        Assert.NotNull(response);
        Assert.True(peer.IsConnected);
        Assert.Equal(1, second.ConnectionCount);
    }

    [Fact]
    public async Task Calls_in_flight_when_the_connection_drops_fail_as_unavailable()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var router = new RpcRouter().MapCall("hang", async (_, cancellationToken) =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return RpcReply.Empty;
        });
        var server = TestCluster.StartServer(router);
        await using var peer = TestCluster.PeerOf(server);

        var call = peer.CallAsync("hang");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await server.DisposeAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(RpcStatus.Unavailable, error.Status);
        Assert.Contains("shutting down", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposed_peer_refuses_new_calls()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter());
        var peer = TestCluster.PeerOf(server);
        await peer.CallAsync("echo", new BytesValue());

        await peer.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => peer.CallAsync("echo", new BytesValue()));
    }

    [Fact]
    public void Backoff_doubles_up_to_the_cap_with_jitter_from_the_injected_random()
    {
        var a = new ReconnectBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), new Random(5));
        var b = new ReconnectBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), new Random(5));

        var delays = Enumerable.Range(0, 10).Select(_ => a.Failed()).ToArray();

        Assert.Equal(delays, Enumerable.Range(0, 10).Select(_ => b.Failed()));
        for (var i = 0; i < delays.Length; i++)
        {
            var ceiling = Math.Min(1000, 50 * Math.Pow(2, i));
            Assert.InRange(delays[i].TotalMilliseconds, ceiling / 2, ceiling);
        }

        a.Succeeded();
        Assert.InRange(a.Failed().TotalMilliseconds, 25, 50);
    }

    [Fact]
    public async Task Unreachable_peer_fails_within_the_calls_deadline()
    {
        // A port nothing listens on: bind one, then free it. On 127.0.0.2, where no other test listens, so a parallel
        // test's server cannot take the port in between.
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        var endPoint = (IPEndPoint)probe.LocalEndPoint!;
        probe.Close();
        await using var peer = new RpcPeer(endPoint, TestCluster.Options("client"), jitter: new Random(1));

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("echo", timeout: TimeSpan.FromMilliseconds(500)));

        Assert.Equal(RpcStatus.Unavailable, error.Status);
        Assert.Contains("cannot reach", error.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the call must not outlive its deadline by much");
    }
}

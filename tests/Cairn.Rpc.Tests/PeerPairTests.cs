using System.Collections.Concurrent;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

/// <summary>Two nodes share one connection: one dials, the other calls back over the accepted connection.</summary>
public sealed class PeerPairTests
{
    [Fact]
    public async Task Accepting_node_calls_the_dialing_node_back_over_the_same_connection()
    {
        var heard = new ConcurrentQueue<string>();
        var dialerRouter = new RpcRouter()
            .MapCall("raft.vote", (request, _) => ValueTask.FromResult(new RpcReply(new StringValue { Value = $"vote from {request.RemoteNodeId}" })))
            .MapOneWay("raft.heartbeat", (message, _) =>
            {
                heard.Enqueue(message.RemoteNodeId);
                return ValueTask.CompletedTask;
            });
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("node-b"));
        await using var dialer = new RpcPeer(server.LocalEndPoint!, TestCluster.Options("node-a"), router: dialerRouter);
        await dialer.CallAsync("echo", new BytesValue());

        await Poll.UntilAsync(() => server.TryGetChannel("node-a", out _), "node-a's connection to be registered");
        Assert.True(server.TryGetChannel("node-a", out var back));
        var answer = await back.CallAsync("raft.vote");
        await back.SendAsync("raft.heartbeat");

        Assert.Equal("vote from node-b", answer.ParseBody(StringValue.Parser).Value);
        await Poll.UntilAsync(() => heard.Contains("node-b"), "the heartbeat to reach node-a");
        Assert.Equal(1, server.ConnectionCount);
        Assert.Equal("node-a", back.RemoteNodeId);
    }

    [Fact]
    public async Task No_channel_to_a_node_that_has_not_dialed_or_has_gone()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("node-b"));
        var dialer = new RpcPeer(server.LocalEndPoint!, TestCluster.Options("node-a"));
        await dialer.ConnectAsync();
        await Poll.UntilAsync(() => server.TryGetChannel("node-a", out _), "node-a's connection to be registered");

        await dialer.DisposeAsync();

        Assert.False(server.TryGetChannel("node-z", out _));
        await Poll.UntilAsync(() => !server.TryGetChannel("node-a", out _), "node-a's channel to go away");
    }
}

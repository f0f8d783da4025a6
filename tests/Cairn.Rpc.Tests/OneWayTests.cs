using System.Collections.Concurrent;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class OneWayTests
{
    [Fact]
    public async Task One_way_messages_arrive_in_the_order_sent()
    {
        var received = new ConcurrentQueue<long>();
        var router = new RpcRouter().MapOneWay("append", (message, _) =>
        {
            received.Enqueue(message.ParseBody(Int64Value.Parser).Value);
            return ValueTask.CompletedTask;
        });
        await using var server = TestCluster.StartServer(router);
        await using var peer = TestCluster.PeerOf(server);

        for (var i = 0; i < 500; i++)
        {
            await peer.SendAsync("append", new Int64Value { Value = i });
        }

        await Poll.UntilAsync(() => received.Count == 500, "all one-way messages");
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), received);
    }

    [Fact]
    public async Task One_way_handler_failure_is_logged_and_the_connection_keeps_serving()
    {
        var log = new CollectingLogger();
        var router = TestCluster.EchoRouter().MapOneWay("explode", (_, _) => throw new InvalidOperationException("one-way boom"));
        await using var server = TestCluster.StartServer(router, logger: log);
        await using var peer = TestCluster.PeerOf(server);

        await peer.SendAsync("explode", payload: new byte[] { 1, 2, 3 });
        var response = await peer.CallAsync("echo", new BytesValue());

        Assert.NotNull(response);
        await Poll.UntilAsync(() => log.Contains("explode"), "the failure to be logged");
    }
}

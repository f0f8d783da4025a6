using Cairn.Core;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class CallTests
{
    [Fact]
    public async Task Call_round_trips_message_and_payload_beside_it()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter());
        await using var peer = TestCluster.PeerOf(server);
        var payload = new byte[100_000];
        new Random(1).NextBytes(payload);

        var response = await peer.CallAsync("echo", new BytesValue { Value = ByteString.CopyFromUtf8("hello") }, payload);

        Assert.Equal("hello", response.ParseBody(BytesValue.Parser).Value.ToStringUtf8());
        Assert.Equal(payload, response.Payload.ToArray());
        Assert.Equal("server", peer.RemoteNodeId);
    }

    [Fact]
    public async Task Payload_at_the_64_MiB_frame_limit_round_trips_in_one_call()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter());
        await using var peer = TestCluster.PeerOf(server);
        var payload = new byte[64 << 20];
        new Random(11).NextBytes(payload);

        var response = await peer.CallAsync("echo", new BytesValue(), payload, TimeSpan.FromSeconds(60));

        Assert.Equal(payload.Length, response.Payload.Length);
        Assert.Equal(Crc32C.Compute(payload), Crc32C.Compute(response.Payload.Span));
    }

    [Fact]
    public async Task Handler_sees_the_callers_proven_node_id()
    {
        var router = new RpcRouter().MapCall("who", (request, _) => ValueTask.FromResult(new RpcReply(new StringValue { Value = request.RemoteNodeId })));
        await using var server = TestCluster.StartServer(router);
        await using var peer = TestCluster.PeerOf(server, TestCluster.Options("node-7"));

        var answer = await peer.CallAsync("who", new Empty(), StringValue.Parser);

        Assert.Equal("node-7", answer.Value);
    }

    [Fact]
    public async Task Many_concurrent_calls_share_one_connection_and_each_gets_its_own_answer()
    {
        var router = new RpcRouter().MapCall("square", async (request, _) =>
        {
            var n = request.ParseBody(Int64Value.Parser).Value;
            await Task.Yield();
            return new RpcReply(new Int64Value { Value = n * n });
        });
        // Room for every call at once: this test is about multiplexing, not the concurrency limit.
        var serverOptions = new RpcOptions { NodeId = "server", ClusterSecret = TestCluster.Secret, MaxConcurrentCalls = 2000 };
        await using var server = TestCluster.StartServer(router, serverOptions);
        await using var peer = TestCluster.PeerOf(server);
        await peer.ConnectAsync();

        // A generous deadline: the test is about matching answers to calls, and the machine is shared.
        var calls = Enumerable.Range(0, 2000).Select(i => peer.CallAsync("square", new Int64Value { Value = i }, Int64Value.Parser, TimeSpan.FromSeconds(60))).ToArray();
        var answers = await Task.WhenAll(calls);

        for (var i = 0; i < answers.Length; i++)
        {
            Assert.Equal((long)i * i, answers[i].Value);
        }

        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task Calls_beyond_the_servers_concurrency_limit_are_refused_as_resource_exhausted()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var router = new RpcRouter().MapCall("hold", async (_, cancellationToken) =>
        {
            Interlocked.Increment(ref running);
            await release.Task.WaitAsync(cancellationToken);
            return RpcReply.Empty;
        });
        var serverOptions = new RpcOptions { NodeId = "server", ClusterSecret = TestCluster.Secret, MaxConcurrentCalls = 4 };
        await using var server = TestCluster.StartServer(router, serverOptions);
        await using var peer = TestCluster.PeerOf(server);
        var held = Enumerable.Range(0, 4).Select(_ => peer.CallAsync("hold")).ToArray();
        await Poll.UntilAsync(() => Volatile.Read(ref running) == 4, "four calls to be running");

        var refused = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("hold"));
        release.SetResult();
        await Task.WhenAll(held);

        Assert.Equal(RpcStatus.ResourceExhausted, refused.Status);
        Assert.Contains("limit of 4 calls", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deadline_exceeded_fails_the_call_and_cancels_the_handler()
    {
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var router = new RpcRouter().MapCall("slow", async (_, cancellationToken) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                handlerCancelled.TrySetResult();
                throw;
            }

            return RpcReply.Empty;
        });
        await using var server = TestCluster.StartServer(router);
        await using var peer = TestCluster.PeerOf(server);
        await peer.ConnectAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("slow", timeout: TimeSpan.FromMilliseconds(200)));

        Assert.Equal(RpcStatus.DeadlineExceeded, error.Status);
        Assert.Contains("slow", error.Message, StringComparison.Ordinal);
        await handlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        // The connection survives a deadline: the next call works.
        Assert.True(peer.IsConnected);
    }

    [Fact]
    public async Task Caller_cancellation_fails_the_call_as_cancelled()
    {
        var router = new RpcRouter().MapCall("slow", async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return RpcReply.Empty;
        });
        await using var server = TestCluster.StartServer(router);
        await using var peer = TestCluster.PeerOf(server);
        await peer.ConnectAsync();
        using var cancel = new CancellationTokenSource(100);

        var error = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("slow", cancellationToken: cancel.Token));

        Assert.Equal(RpcStatus.Cancelled, error.Status);
    }

    [Fact]
    public async Task Unknown_method_is_reported_by_name()
    {
        await using var server = TestCluster.StartServer(new RpcRouter());
        await using var peer = TestCluster.PeerOf(server);

        var error = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("nope"));

        Assert.Equal(RpcStatus.UnknownMethod, error.Status);
        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handler_errors_reach_the_caller_with_their_status()
    {
        var router = new RpcRouter()
            .MapCall("bad-arg", (_, _) => throw new RpcException(RpcStatus.InvalidArgument, "shard 9 does not exist"))
            .MapCall("crash", (_, _) => throw new InvalidOperationException("boom"));
        await using var server = TestCluster.StartServer(router);
        await using var peer = TestCluster.PeerOf(server);

        var invalid = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("bad-arg"));
        var crashed = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("crash"));

        Assert.Equal(RpcStatus.InvalidArgument, invalid.Status);
        Assert.Contains("shard 9 does not exist", invalid.Message, StringComparison.Ordinal);
        Assert.Equal(RpcStatus.HandlerFailed, crashed.Status);
        Assert.Contains("boom", crashed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Payload_above_the_limit_fails_only_that_call_on_the_sender()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter());
        var options = new RpcOptions { NodeId = "client", ClusterSecret = TestCluster.Secret, MaxPayloadBytes = 1024, StreamChunkBytes = 512, StreamWindowBytes = 1024 };
        await using var peer = TestCluster.PeerOf(server, options);

        var error = await Assert.ThrowsAsync<LimitExceededException>(() => peer.CallAsync("echo", new BytesValue(), new byte[1025]));
        var ok = await peer.CallAsync("echo", new BytesValue(), new byte[1024]);

        Assert.Contains("1024", error.Message, StringComparison.Ordinal);
        Assert.Equal(1024, ok.Payload.Length);
    }

    [Fact]
    public async Task Frame_above_the_receivers_limit_closes_that_connection_with_a_logged_reason()
    {
        var log = new CollectingLogger();
        var serverOptions = new RpcOptions { NodeId = "server", ClusterSecret = TestCluster.Secret, MaxPayloadBytes = 1024, StreamChunkBytes = 512, StreamWindowBytes = 1024 };
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), serverOptions, log);
        await using var peer = TestCluster.PeerOf(server);

        var error = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("echo", new BytesValue(), new byte[4096]));

        Assert.Equal(RpcStatus.Unavailable, error.Status);
        Assert.Contains("limit is 1024 bytes", error.Message, StringComparison.Ordinal);
        await Poll.UntilAsync(() => log.Contains("limit is 1024 bytes"), "the server to log the reason");
    }
}

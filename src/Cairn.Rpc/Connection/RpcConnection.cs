using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using Cairn.Core;
using Cairn.Rpc.Framing;
using Cairn.Rpc.Protocol;
using Cairn.Rpc.Streams;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Cairn.Rpc.Connection;

/// <summary>
/// One authenticated connection between two nodes, after the handshake. Both ends are equal: either may call, send
/// one-way messages and open streams, and either serves the other's calls through its router. One receive loop cuts
/// frames from a pipe and dispatches them; one send loop drains a bounded queue into the socket, batching small
/// frames and writing payloads straight from the caller's memory.
/// </summary>
internal sealed class RpcConnection
{
    private const int BatchBytes = 64 << 10;

    private readonly Stream _stream;
    private readonly RpcOptions _options;
    private readonly RpcRouter? _router;
    private readonly ILogger _logger;
    private readonly FrameDecoder _decoder;
    private readonly Channel<OutgoingFrame> _sendQueue = Channel.CreateUnbounded<OutgoingFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _queueLock = new();
    private readonly ConcurrentDictionary<ulong, PendingCall> _pending = new();
    private readonly ConcurrentDictionary<ulong, ServerCall> _serving = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _shutdownStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _queuedFrames;
    private long _queuedBytes;
    private long _nextId;
    private int _shutdown;
    private bool _toldPeer;
    private long _lastReceivedTicks = Environment.TickCount64;
    private long _lastSentTicks = Environment.TickCount64;
    private string _closeReason = "open";
    private Task _receiveLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;

    public RpcConnection(Stream stream, string peerName, string remoteNodeId, RpcOptions options, RpcRouter? router, ILogger logger)
    {
        _stream = stream;
        PeerName = peerName;
        RemoteNodeId = remoteNodeId;
        _options = options;
        _router = router;
        _logger = logger;
        _decoder = new FrameDecoder(options.MaxMessageBytes, options.MaxPayloadBytes);
    }

    /// <summary>The remote address, for messages and logs.</summary>
    public string PeerName { get; }

    /// <summary>The remote node's id, proven in the handshake.</summary>
    public string RemoteNodeId { get; }

    public bool IsOpen => Volatile.Read(ref _shutdown) == 0;

    /// <summary>Completes when both loops have stopped and the socket is closed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>
    /// Completes as soon as the connection stops taking new frames, before it has flushed and closed: a dialer that
    /// keeps a connection up redials from here rather than waiting out the old one's goodbye.
    /// </summary>
    public Task Closing => _shutdownStarted.Task;

    /// <summary>Why the connection closed (or "open").</summary>
    public string CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>How many frames wait in the send queue (for tests).</summary>
    internal int QueuedFrames => Volatile.Read(ref _queuedFrames);

    /// <summary>Starts the receive and send loops.</summary>
    public void Start()
    {
        _receiveLoop = Task.Run(ReceiveLoopAsync);
        _sendLoop = Task.Run(SendLoopAsync);
        if (_options.KeepAliveInterval != Timeout.InfiniteTimeSpan)
        {
            _ = Task.Run(KeepAliveLoopAsync);
        }
    }

    /// <summary>Sends a request and waits for its response until <paramref name="timeout"/> passes.</summary>
    public async Task<RpcResponse> CallAsync(string method, IMessage? body, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = (ulong)Interlocked.Increment(ref _nextId);
        var frame = OutgoingFrame.Create(FrameType.Request, id, Header(method, body, timeout), payload, _options.MaxMessageBytes, _options.MaxPayloadBytes);
        var call = new PendingCall(method);
        Register(id, call, frame);
        return await AwaitResponseAsync(id, call, timeout, cancellationToken);
    }

    /// <summary>Queues a one-way message; returns once it is queued, not delivered.</summary>
    public void SendOneWay(string method, IMessage? body, ReadOnlyMemory<byte> payload)
    {
        var frame = OutgoingFrame.Create(FrameType.OneWay, 0, Header(method, body, Timeout.InfiniteTimeSpan), payload, _options.MaxMessageBytes, _options.MaxPayloadBytes);
        Enqueue(frame, limited: true);
    }

    /// <summary>Opens a stream; the receiver's answer completes <see cref="RpcStreamWriter.CompleteAsync"/>.</summary>
    public RpcStreamWriter OpenStream(string method, IMessage? body, TimeSpan timeout)
    {
        var id = (ulong)Interlocked.Increment(ref _nextId);
        var frame = OutgoingFrame.Create(FrameType.StreamOpen, id, Header(method, body, timeout), ReadOnlyMemory<byte>.Empty, _options.MaxMessageBytes, _options.MaxPayloadBytes);
        var writer = new RpcStreamWriter(this, id, method, _options.StreamChunkBytes);
        var call = new PendingCall(method, writer);
        writer.Attach(call);
        Register(id, call, frame);
        // The writer observes the answer itself (CompleteAsync, or failing writes); this task only applies the deadline.
        _ = AwaitResponseAsync(id, call, timeout, CancellationToken.None).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        return writer;
    }

    internal void SendStreamData(ulong id, byte[] chunk) =>
        Enqueue(OutgoingFrame.Create(FrameType.StreamData, id, null, chunk, _options.MaxMessageBytes, _options.MaxPayloadBytes), limited: false);

    internal void SendStreamEnd(ulong id, RpcStatus status, string error) =>
        Enqueue(Control(FrameType.StreamEnd, id, new StreamEnd { Status = (int)status, Error = error }), limited: false);

    internal void AbortStream(ulong id, string reason)
    {
        if (_pending.TryRemove(id, out var call))
        {
            call.Fail(new RpcException(RpcStatus.Aborted, $"stream '{call.Method}' to {PeerName} aborted: {reason}"));
        }

        TrySend(Control(FrameType.StreamEnd, id, new StreamEnd { Status = (int)RpcStatus.Aborted, Error = reason }));
    }

    /// <summary>Closes the connection: pending calls fail, the peer is told why (best effort), the socket closes.</summary>
    public Task CloseAsync(string reason)
    {
        Shutdown(reason, tellPeer: true);
        return Closed;
    }

    /// <summary>Registers a call so its answer can find it, then queues its first frame (throwing when the queue is full).</summary>
    private void Register(ulong id, PendingCall call, OutgoingFrame frame)
    {
        _pending[id] = call;
        try
        {
            Enqueue(frame, limited: true);
        }
        catch
        {
            _pending.TryRemove(id, out _);
            throw;
        }

        if (!IsOpen && _pending.TryRemove(id, out _))
        {
            // Closed between the check in Enqueue and registering the call: nobody else will fail it.
            call.Fail(Unavailable());
        }
    }

    private async Task<RpcResponse> AwaitResponseAsync(ulong id, PendingCall call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(timeout);
        }

        await using var registration = deadline.Token.Register(() =>
        {
            if (_pending.TryRemove(id, out var expired))
            {
                var error = cancellationToken.IsCancellationRequested
                    ? new RpcException(RpcStatus.Cancelled, $"call '{call.Method}' to {PeerName} was cancelled by the caller")
                    : new RpcException(RpcStatus.DeadlineExceeded, $"call '{call.Method}' to {PeerName} (node '{RemoteNodeId}') got no response within {timeout.TotalMilliseconds:0} ms");
                if (error.Status == RpcStatus.DeadlineExceeded)
                {
                    RpcMetrics.DeadlinesExceeded.Add(1);
                }

                expired.Fail(error);
                TrySend(Control(FrameType.Cancel, id, null));
            }
        });

        return await call.Response;
    }

    private static RequestHeader Header(string method, IMessage? body, TimeSpan timeout) => new()
    {
        Method = method,
        TimeoutMs = timeout == Timeout.InfiniteTimeSpan ? 0 : (ulong)Math.Max(1, Math.Ceiling(timeout.TotalMilliseconds)),
        Body = body is null ? ByteString.Empty : body.ToByteString(),
    };

    private OutgoingFrame Control(FrameType type, ulong id, IMessage? message) =>
        OutgoingFrame.Create(type, id, message, ReadOnlyMemory<byte>.Empty, int.MaxValue, 0);

    /// <summary>
    /// Queues a frame. Frames a caller starts (requests, one-way messages, stream opens) count against the queue's
    /// limits and fail fast when it is full; answers and control frames do not, since they are already bounded by
    /// the calls and credit that caused them.
    /// </summary>
    private void Enqueue(OutgoingFrame frame, bool limited)
    {
        if (!IsOpen)
        {
            throw Unavailable();
        }

        bool peerStalled;
        lock (_queueLock)
        {
            if (limited && _queuedFrames > 0 && (_queuedFrames >= _options.SendQueueLimit || _queuedBytes + frame.Length > _options.SendQueueLimitBytes))
            {
                throw new RpcException(
                    RpcStatus.ResourceExhausted,
                    $"the send queue to {PeerName} is full ({_queuedFrames} frames, {_queuedBytes} bytes; limits {_options.SendQueueLimit} frames, {_options.SendQueueLimitBytes} bytes): the peer or network is slower than this node sends");
            }

            _queuedFrames++;
            _queuedBytes += frame.Length;
            // Answers and control frames skip the limit, but not without bound: a peer that keeps calling and never
            // reads its answers would otherwise grow this queue forever.
            peerStalled = _queuedFrames > 2L * _options.SendQueueLimit || _queuedBytes > 2 * _options.SendQueueLimitBytes;
        }

        if (peerStalled)
        {
            Dequeued(frame);
            RpcLog.ProtocolViolation(_logger, PeerName, "the peer does not read what this node sends; twice the send queue limit is waiting");
            Shutdown("the peer does not read what this node sends", tellPeer: false);
            throw Unavailable();
        }

        if (!_sendQueue.Writer.TryWrite(frame))
        {
            Dequeued(frame);
            throw Unavailable();
        }
    }

    private void TrySend(OutgoingFrame frame)
    {
        try
        {
            Enqueue(frame, limited: false);
        }
        catch (RpcException)
        {
            // Closed: the peer learns from the closed socket instead.
        }
    }

    private void Dequeued(OutgoingFrame frame)
    {
        lock (_queueLock)
        {
            _queuedFrames--;
            _queuedBytes -= frame.Length;
        }
    }

    private RpcException Unavailable() =>
        new(RpcStatus.Unavailable, $"the connection to {PeerName} (node '{RemoteNodeId}') is closed: {CloseReason}");

    private async Task SendLoopAsync()
    {
        var batch = new ArrayBufferWriter<byte>(BatchBytes);
        try
        {
            var reader = _sendQueue.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var frame))
                {
                    if (frame.Payload.Length >= BatchBytes / 2)
                    {
                        await WriteBatchAsync(batch);
                        await _stream.WriteAsync(frame.HeaderAndMessage);
                        await _stream.WriteAsync(frame.Payload);
                    }
                    else
                    {
                        batch.Write(frame.HeaderAndMessage);
                        batch.Write(frame.Payload.Span);
                        if (batch.WrittenCount >= BatchBytes)
                        {
                            await WriteBatchAsync(batch);
                        }
                    }

                    Dequeued(frame);
                    RpcMetrics.FramesSent.Add(1);
                    RpcMetrics.BytesSent.Add(frame.Length);
                }

                await WriteBatchAsync(batch);
                await _stream.FlushAsync();
                Volatile.Write(ref _lastSentTicks, Environment.TickCount64);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Shutdown($"send failed: {e.Message}", tellPeer: false);
        }
        catch (Exception e)
        {
            // A bug here must cost this connection only, never the process.
            RpcLog.Unexpected(_logger, e, PeerName);
            Shutdown($"internal error while sending: {e.Message}", tellPeer: false);
        }
    }

    private async ValueTask WriteBatchAsync(ArrayBufferWriter<byte> batch)
    {
        if (batch.WrittenCount > 0)
        {
            await _stream.WriteAsync(batch.WrittenMemory);
            batch.ResetWrittenCount();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: BatchBytes, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                // Any bytes count as a sign of life, so a large frame still arriving does not look like silence.
                Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
                try
                {
                    while (_decoder.TryRead(ref buffer, out var frame))
                    {
                        await DispatchAsync(frame!);
                    }

                    if (result.IsCompleted)
                    {
                        if (!buffer.IsEmpty)
                        {
                            throw new FrameFormatException($"the peer closed the connection in the middle of a frame ({buffer.Length} bytes of it arrived)");
                        }

                        Shutdown("the peer closed the connection", tellPeer: false);
                        return;
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (FrameFormatException e)
        {
            if (IsOpen)
            {
                RpcLog.ProtocolViolation(_logger, PeerName, e.Message);
                RpcMetrics.ProtocolViolations.Add(1);
            }

            Shutdown(e.Message, tellPeer: true);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Shutdown($"connection lost: {e.Message}", tellPeer: false);
        }
        catch (Exception e)
        {
            // A bug here must cost this connection only, never the process.
            RpcLog.Unexpected(_logger, e, PeerName);
            Shutdown($"internal error: {e.Message}", tellPeer: true);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private async ValueTask DispatchAsync(IncomingFrame frame)
    {
        RpcMetrics.FramesReceived.Add(1);
        RpcMetrics.BytesReceived.Add(frame.Header.FrameLength);
        switch (frame.Type)
        {
            case FrameType.Request:
                StartServing(frame, frame.Parse(RequestHeader.Parser), stream: false);
                break;
            case FrameType.StreamOpen:
                StartServing(frame, frame.Parse(RequestHeader.Parser), stream: true);
                break;
            case FrameType.OneWay:
                await DeliverOneWayAsync(frame.Parse(RequestHeader.Parser), frame.Payload);
                break;
            case FrameType.Cancel:
                if (_serving.TryGetValue(frame.Id, out var cancelled))
                {
                    cancelled.CancelledByPeer = true;
                    try
                    {
                        await cancelled.Cancellation.CancelAsync();
                    }
                    catch (ObjectDisposedException)
                    {
                        // The handler finished between the lookup and the cancel: nothing left to stop.
                    }
                }

                break;
            case FrameType.Response:
                Complete(frame.Id, frame.Parse(ResponseHeader.Parser), frame.Payload);
                break;
            case FrameType.StreamData:
                // Data for a stream whose handler already answered is dropped: the sender learns from the answer.
                if (_serving.TryGetValue(frame.Id, out var receiving) && receiving.Stream is { } incoming)
                {
                    incoming.OnData(frame.Id, frame.Payload);
                }

                break;
            case FrameType.StreamEnd:
                var end = frame.Parse(StreamEnd.Parser);
                if (_serving.TryGetValue(frame.Id, out var ending) && ending.Stream is { } ended)
                {
                    ended.OnEnd(end.Status == 0 ? null : new RpcException(RpcStatus.Aborted, $"the sender aborted the stream: {end.Error}"));
                }

                break;
            case FrameType.StreamCredit:
                if (_pending.TryGetValue(frame.Id, out var sending) && sending.Stream is { } writer)
                {
                    writer.AddCredit((long)Math.Min(frame.Parse(StreamCredit.Parser).Bytes, int.MaxValue));
                }

                break;
            case FrameType.Ping:
                break;
            case FrameType.Close:
                var reason = frame.Parse(Close.Parser).Reason;
                RpcLog.Disconnected(_logger, PeerName, $"the peer closed it: {reason}");
                Shutdown($"the peer closed it: {reason}", tellPeer: false);
                break;
            default:
                throw new FrameFormatException($"unexpected {frame.Type} frame after the handshake");
        }
    }

    private async Task KeepAliveLoopAsync()
    {
        var interval = _options.KeepAliveInterval;
        var silenceLimit = (long)(interval.TotalMilliseconds * 3);
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token))
            {
                var now = Environment.TickCount64;
                var silent = now - Volatile.Read(ref _lastReceivedTicks);
                if (silent > silenceLimit)
                {
                    var reason = $"nothing received for {silent} ms (keepalive allows {silenceLimit} ms): the peer is gone or stalled";
                    RpcLog.ProtocolViolation(_logger, PeerName, reason);
                    Shutdown(reason, tellPeer: true);
                    return;
                }

                // Half an interval, not a whole one: ticks and sends drift, and a ping every other tick would leave
                // the peer only one interval of slack before its three-interval limit.
                if (now - Volatile.Read(ref _lastSentTicks) >= interval.TotalMilliseconds / 2)
                {
                    TrySend(Control(FrameType.Ping, 0, null));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void StartServing(IncomingFrame frame, RequestHeader header, bool stream)
    {
        if (_serving.ContainsKey(frame.Id))
        {
            throw new FrameFormatException($"the peer reused the id {frame.Id} of a call still running");
        }

        if (_serving.Count >= _options.MaxConcurrentCalls)
        {
            Respond(frame.Id, RpcStatus.ResourceExhausted, $"node '{_options.NodeId}' is already running its limit of {_options.MaxConcurrentCalls} calls from node '{RemoteNodeId}'; retry later", null);
            return;
        }

        var handler = stream ? (Delegate?)_router?.Find<RpcStreamHandler>(header.Method) : _router?.Find<RpcCallHandler>(header.Method);
        if (handler is null)
        {
            Respond(frame.Id, RpcStatus.UnknownMethod, $"node '{_options.NodeId}' has no {(stream ? "stream" : "call")} handler for '{header.Method}'", null);
            return;
        }

        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        if (header.TimeoutMs > 0)
        {
            cancellation.CancelAfter(TimeSpan.FromMilliseconds(Math.Min(header.TimeoutMs, int.MaxValue)));
        }

        IncomingStream? incoming = null;
        if (stream)
        {
            var id = frame.Id;
            incoming = new IncomingStream(_options.StreamWindowBytes, credit => TrySend(Control(FrameType.StreamCredit, id, new StreamCredit { Bytes = (ulong)credit })));
        }

        var call = new ServerCall(cancellation, incoming);
        _serving[frame.Id] = call;
        incoming?.Open();
        var body = header.Body.Memory;
        var request = incoming is null
            ? new RpcRequest(header.Method, RemoteNodeId, body, frame.Payload)
            : new RpcStreamRequest(header.Method, RemoteNodeId, body, incoming);
        _ = Task.Run(() => ServeAsync(frame.Id, request, handler, call));
    }

    private async Task ServeAsync(ulong id, RpcRequest request, Delegate handler, ServerCall call)
    {
        var token = call.Cancellation.Token;
        try
        {
            var reply = handler switch
            {
                RpcStreamHandler streamHandler => await streamHandler((RpcStreamRequest)request, token),
                RpcCallHandler callHandler => await callHandler(request, token),
                _ => throw new InvalidOperationException("unknown handler kind"),
            };
            Respond(id, RpcStatus.Ok, string.Empty, reply);
        }
        catch (RpcException e)
        {
            Respond(id, e.Status, e.Message, null);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            var status = !IsOpen ? RpcStatus.Unavailable : call.CancelledByPeer ? RpcStatus.Cancelled : RpcStatus.DeadlineExceeded;
            Respond(id, status, $"'{request.Method}' was cancelled on node '{_options.NodeId}' ({status})", null);
        }
        catch (Exception e)
        {
            RpcLog.HandlerFailed(_logger, e, request.Method, PeerName);
            Respond(id, RpcStatus.HandlerFailed, $"the handler for '{request.Method}' on node '{_options.NodeId}' failed: {e.GetType().Name}: {e.Message}", null);
        }
        finally
        {
            _serving.TryRemove(id, out _);
            call.Stream?.OnEnd(new RpcException(RpcStatus.Aborted, "the handler already answered"));
            call.Dispose();
        }
    }

    private void Respond(ulong id, RpcStatus status, string error, RpcReply? reply)
    {
        var header = new ResponseHeader { Status = (int)status, Error = error };
        if (reply?.Body is { } body)
        {
            header.Body = body.ToByteString();
        }

        OutgoingFrame frame;
        try
        {
            frame = OutgoingFrame.Create(FrameType.Response, id, header, reply?.Payload ?? ReadOnlyMemory<byte>.Empty, _options.MaxMessageBytes, _options.MaxPayloadBytes);
        }
        catch (LimitExceededException e)
        {
            frame = Control(FrameType.Response, id, new ResponseHeader { Status = (int)RpcStatus.HandlerFailed, Error = $"the answer is too large: {e.Message}" });
        }

        TrySend(frame);
    }

    private async ValueTask DeliverOneWayAsync(RequestHeader header, byte[] payload)
    {
        var handler = _router?.Find<RpcOneWayHandler>(header.Method);
        if (handler is null)
        {
            RpcLog.NoOneWayHandler(_logger, header.Method, PeerName);
            return;
        }

        try
        {
            await handler(new RpcRequest(header.Method, RemoteNodeId, header.Body.Memory, payload), _closing.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_closing.IsCancellationRequested)
        {
            // The sender expects no answer, so a failing handler is only logged.
            RpcLog.HandlerFailed(_logger, e, header.Method, PeerName);
        }
    }

    private void Complete(ulong id, ResponseHeader header, byte[] payload)
    {
        // Unknown ids are answers that arrived after their deadline: dropped.
        if (!_pending.TryRemove(id, out var call))
        {
            return;
        }

        if (header.Status == (int)RpcStatus.Ok)
        {
            call.Succeed(new RpcResponse(call.Method, header.Body.Memory, payload));
        }
        else
        {
            var status = Enum.IsDefined((RpcStatus)header.Status) ? (RpcStatus)header.Status : RpcStatus.HandlerFailed;
            call.Fail(new RpcException(status, $"'{call.Method}' on {PeerName} (node '{RemoteNodeId}') failed: {header.Error}"));
        }
    }

    private void Shutdown(string reason, bool tellPeer)
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _closeReason, reason);
        _toldPeer = tellPeer;
        if (tellPeer)
        {
            _sendQueue.Writer.TryWrite(Control(FrameType.Close, 0, new Close { Reason = reason }));
        }

        _sendQueue.Writer.TryComplete();
        _closing.Cancel();
        _shutdownStarted.TrySetResult();
        var error = Unavailable();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var call))
            {
                call.Fail(error);
            }
        }

        foreach (var call in _serving.Values)
        {
            call.Stream?.OnEnd(error);
        }

        _ = FinishAsync();
    }

    /// <summary>
    /// Reads and discards what the peer still sends, briefly, after telling it why we close. Closing a socket with
    /// unread bytes makes the kernel send a reset, which can destroy the Close frame before the peer reads it; the
    /// peer would then see "connection reset" instead of the reason.
    /// </summary>
    private async Task DrainAsync()
    {
        // Only once the receive loop has let go of the stream: two readers at once are not allowed.
        await Task.WhenAny(_receiveLoop, Task.Delay(50));
        if (!_receiveLoop.IsCompleted)
        {
            return;
        }

        using var budget = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var sink = ArrayPool<byte>.Shared.Rent(16 << 10);
        try
        {
            while (await _stream.ReadAsync(sink, budget.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or NotSupportedException or InvalidOperationException)
        {
            // Reset, timeout or a stream that cannot be read now: close anyway.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    private async Task FinishAsync()
    {
        // Give the send loop a moment to deliver what was queued, the Close frame last; a peer that does not read
        // must not hold the socket open.
        await Task.WhenAny(_sendLoop, Task.Delay(TimeSpan.FromSeconds(1)));
        if (_toldPeer)
        {
            await DrainAsync();
        }

        await _stream.DisposeAsync();
        await Task.WhenAll(_sendLoop, _receiveLoop).ContinueWith(_ => { }, TaskScheduler.Default);
        _closed.TrySetResult();
    }
}

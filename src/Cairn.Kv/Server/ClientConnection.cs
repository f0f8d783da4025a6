using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Cairn.Core;
using Cairn.Kv.Cluster;
using Cairn.Kv.Commands;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Resp;

namespace Cairn.Kv.Server;

/// <summary>
/// One client connection: reads requests from the socket, runs each, writes replies into the output pipe, and
/// flushes a round of replies only once the writes they acknowledge are durable. Pipelined writes from one client,
/// and writes from many clients, share fsyncs this way.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private readonly Socket? _socket;
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly RespRequest _request = new();
    private readonly CancellationTokenSource _closed = new();
    private ulong _pendingToken;
    private ulong _firstPendingToken;
    private bool _discardReplies;
    private bool _closeAfterReply;
    private bool _leaveIoThread;

    /// <summary>Requests larger than this are never run on a socket I/O thread (see <see cref="MustLeaveIoThread"/>).</summary>
    internal const int InlineRequestBytes = 64 * 1024;

    public ClientConnection(RespServer server, Socket socket, long id)
        : this(server, new NetworkStream(socket, ownsSocket: true), id, socket.RemoteEndPoint as IPEndPoint)
    {
        _socket = socket;
    }

    /// <summary>
    /// A connection over any stream instead of a socket: the seam the micro-benchmarks (bench/Cairn.Bench) use to
    /// run requests in process through <see cref="ProcessRound"/>, with replies going to <paramref name="stream"/>.
    /// </summary>
    internal ClientConnection(RespServer server, Stream stream, long id, IPEndPoint? remoteEndPoint = null)
    {
        Server = server;
        Id = id;
        RemoteEndPoint = remoteEndPoint;
        _stream = stream;
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
        Authenticated = !server.Options.RequiresAuth;
        CreatedAt = DateTimeOffset.UtcNow;
        LastActivity = CreatedAt;
    }

    public RespServer Server { get; }

    public long Id { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset LastActivity { get; private set; }

    public string? Name { get; set; }

    public string? LibraryName { get; set; }

    public string? LibraryVersion { get; set; }

    public string User { get; set; } = "default";

    /// <summary>The RESP version replies use: 2 until HELLO 3.</summary>
    public int Protocol { get; set; } = 2;

    public bool Authenticated { get; set; }

    /// <summary>The client sent <c>READONLY</c>: in cluster mode its reads may be served by any replica of a slot.</summary>
    public bool ReadOnlyRouting { get; set; }

    /// <summary>
    /// The client sent <c>ASKING</c> just before the current request: a slot being imported here is served here.
    /// Valid for one request only, as in Redis: every request but <c>ASKING</c> itself clears it.
    /// </summary>
    public bool Asking { get; set; }

    public string LastCommand { get; private set; } = "NULL";

    /// <summary>Where handlers write replies.</summary>
    public IBufferWriter<byte> Output => _output;

    /// <summary>The buffer values are read into, reused across commands.</summary>
    public ValueBuffer Values { get; } = new();

    /// <summary>A second buffer for commands that read one value while returning another.</summary>
    public ValueBuffer Scratch { get; } = new();

    /// <summary>Records a write that the current round's replies must wait for.</summary>
    public void NoteWrite(ulong token)
    {
        if (token == 0)
        {
            return;
        }

        if (token > _pendingToken)
        {
            _pendingToken = token;
        }

        if (_firstPendingToken == 0 || token < _firstPendingToken)
        {
            _firstPendingToken = token;
        }
    }

    /// <summary>Closes the connection once the current reply is sent (QUIT, or CLIENT KILL).</summary>
    public void CloseAfterReply() => _closeAfterReply = true;

    /// <summary>Closes the connection now (server shutdown, CLIENT KILL from another client).</summary>
    public void Abort()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection finished closing on its own while the server was shutting down: nothing left to stop.
        }
    }

    public async Task RunAsync()
    {
        var limits = Server.Options.Limits;
        long needed = 0;
        try
        {
            while (!_closeAfterReply)
            {
                if (_leaveIoThread)
                {
                    // The last round stopped before a long request: run it, and the rest, on the thread pool.
                    _leaveIoThread = false;
                    await Task.Yield();
                }

                var read = await _input.ReadAsync(_closed.Token);
                var buffer = read.Buffer;
                if (buffer.Length < needed && !read.IsCompleted)
                {
                    // A large value is still arriving: parse again only when all of it is here.
                    _input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                LastActivity = DateTimeOffset.UtcNow;
                var consumed = ProcessRound(buffer, limits, out needed, out var protocolError, out var moreReady);

                // Examined up to the end only when parsing ran out of bytes; when the reply budget cut the round
                // short, whole requests are still waiting and the next read must return them at once.
                var consumedTo = buffer.GetPosition(consumed);
                _input.AdvanceTo(consumedTo, moreReady ? consumedTo : buffer.End);
                if (protocolError is not null)
                {
                    RespWriter.Error(_output, "ERR " + protocolError);
                    _closeAfterReply = true;
                }

                if (_pendingToken > 0)
                {
                    try
                    {
                        await Server.Backend.WhenDoneAsync(_firstPendingToken, _pendingToken, _closed.Token);
                    }
                    catch (Exception e) when (e is IOException or Replication.ReplicationFailedException)
                    {
                        // The write was applied but cannot be made durable (or replicated): never acknowledge it as if it were.
                        Server.Log($"client {Id}: closing, a write could not be made durable: {e.Message}");
                        _discardReplies = true; // the buffered replies acknowledge it: they must never be sent
                        break;
                    }

                    _pendingToken = 0;
                    _firstPendingToken = 0;
                }

                await _output.FlushAsync(_closed.Token);
                if (read.IsCompleted && consumed == buffer.Length)
                {
                    break;
                }

                if (read.IsCompleted && protocolError is null && consumed == 0)
                {
                    break; // the client hung up in the middle of a request
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
            // The client went away.
        }
        catch (SocketException)
        {
        }
        finally
        {
            await DisposeAsync();
        }
    }

    /// <summary>Runs every whole request in <paramref name="buffer"/>, up to the reply budget; returns the bytes used.</summary>
    internal long ProcessRound(ReadOnlySequence<byte> buffer, RespLimits limits, out long needed, out string? protocolError, out bool moreReady)
    {
        needed = 0;
        protocolError = null;
        moreReady = false;
        if (buffer.Length > limits.MaxRequestBytes + limits.MaxBulkLength)
        {
            protocolError = "Protocol error: request too big";
            return 0;
        }

        byte[]? rented = null;
        ReadOnlySpan<byte> span;
        if (buffer.IsSingleSegment)
        {
            span = buffer.FirstSpan;
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent((int)buffer.Length);
            buffer.CopyTo(rented);
            span = rented.AsSpan(0, (int)buffer.Length);
        }

        try
        {
            var offset = 0;
            var budget = Server.Options.MaxPendingReplyBytes;
            long written = 0;
            while (offset < span.Length && !_closeAfterReply)
            {
                var rest = span[offset..];
                var result = RespParser.TryParse(rest, _request, limits, out var consumed, out var error, out var pending);
                if (result == ParseResult.Incomplete)
                {
                    needed = pending > 0 ? pending : 0;
                    if (rest.Length > limits.MaxRequestBytes)
                    {
                        protocolError = "Protocol error: request too big";
                    }

                    break;
                }

                if (result == ParseResult.ProtocolError)
                {
                    protocolError = error;
                    break;
                }

                if (_request.Count > 0 && MustLeaveIoThread(rest, consumed))
                {
                    _leaveIoThread = true;
                    moreReady = true; // the request stays in the pipe, and the next read returns it at once
                    break;
                }

                var before = _output.UnflushedBytes;
                if (_request.Count > 0)
                {
                    Execute(rest);
                }

                offset += consumed;
                written += _output.UnflushedBytes - before;
                if (written >= budget)
                {
                    moreReady = offset < span.Length; // send what is ready before reading on: bounded output per client
                    break;
                }
            }

            return offset;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Whether the parsed request must not run on this thread. With inline socket completions (ADR 0008) a round runs
    /// on the socket engine's I/O thread, which serves many connections: a long request (a large value, or a
    /// command marked <see cref="CommandFlags.Long"/>) would hold all of them up, so it moves to the thread pool.
    /// Any thread that is not a pool thread counts as an I/O thread (a continuation may also run on the log's
    /// group-commit thread).
    /// </summary>
    private bool MustLeaveIoThread(ReadOnlySpan<byte> buffer, int consumed)
    {
        if (Thread.CurrentThread.IsThreadPoolThread)
        {
            return false;
        }

        return consumed > InlineRequestBytes
            || (Server.Commands.TryFind(_request.Arg(buffer, 0), out var spec) && (spec.Flags & CommandFlags.Long) != 0);
    }

    private void Execute(ReadOnlySpan<byte> buffer)
    {
        // ASKING covers the next request only, whatever it is (the ASKING handler sets it again).
        var asking = Asking;
        Asking = false;
        var name = _request.Arg(buffer, 0);
        var table = Server.Commands;
        if (!table.TryFind(name, out var spec))
        {
            RespWriter.Error(_output, UnknownCommand(buffer));
            return;
        }

        LastCommand = spec.Name;
        Server.Stats.CountCommand();
        if (!Authenticated && (spec.Flags & CommandFlags.NoAuth) == 0)
        {
            RespWriter.Error(_output, "NOAUTH Authentication required.");
            return;
        }

        if (!spec.ArityMatches(_request.Count))
        {
            RespWriter.Error(_output, $"ERR wrong number of arguments for '{spec.Name.ToLowerInvariant()}' command");
            return;
        }

        if (spec.FirstKey > 0 && Server.Options.Cluster is { } router && !RoutesHere(router, spec, buffer, asking))
        {
            return;
        }

        try
        {
            spec.Handler(new CommandContext(buffer, _request, this));
        }
        catch (KvException e)
        {
            RespWriter.Error(_output, e.Message);
        }
        catch (LimitExceededException e)
        {
            RespWriter.Error(_output, "ERR " + e.Message);
        }
        catch (Cairn.Storage.CorruptionException e)
        {
            Server.Log($"client {Id}: {e.Message}");
            RespWriter.Error(_output, "ERR stored data is corrupt; the value is not returned (see the server log)");
        }
        finally
        {
            var (first, last) = Server.Backend.TakeReadTokens();
            if (last != 0)
            {
                NoteWrite(first); // what the reply shows must be committed, and this node still the leader, first
                NoteWrite(last);
            }
        }
    }

    /// <summary>
    /// Cluster mode: whether the command's keys are served here. Otherwise writes what Redis Cluster answers
    /// (<c>-CROSSSLOT</c>, <c>-MOVED</c>, <c>-ASK</c>, <c>-TRYAGAIN</c>, <c>-CLUSTERDOWN</c>) and returns false.
    /// Keys are found by the spec's first key, last key and step (Redis's convention); no allocation unless the
    /// command is redirected.
    /// </summary>
    private bool RoutesHere(IClusterRouter router, CommandSpec spec, ReadOnlySpan<byte> buffer, bool asking)
    {
        var last = spec.LastKey >= 0 ? Math.Min(spec.LastKey, _request.Count - 1) : _request.Count + spec.LastKey;
        var step = Math.Max(1, spec.KeyStep);
        var slot = -1;
        for (var i = spec.FirstKey; i <= last; i += step)
        {
            var keySlot = HashSlot.Of(_request.Arg(buffer, i));
            if (slot < 0)
            {
                slot = keySlot;
            }
            else if (keySlot != slot)
            {
                RespWriter.Error(_output, "CROSSSLOT Keys in request don't hash to the same slot");
                return false;
            }
        }

        if (slot < 0)
        {
            return true;
        }

        var route = router.Route(slot, (spec.Flags & CommandFlags.Write) != 0, ReadOnlyRouting, asking);
        switch (route.Kind)
        {
            case SlotRouteKind.Local:
                return true;
            case SlotRouteKind.Moved:
                RespWriter.Error(_output, string.Create(CultureInfo.InvariantCulture, $"MOVED {slot} {route.Endpoint}"));
                return false;
            case SlotRouteKind.Ask:
                RespWriter.Error(_output, string.Create(CultureInfo.InvariantCulture, $"ASK {slot} {route.Endpoint}"));
                return false;
            case SlotRouteKind.TryAgain:
                RespWriter.Error(_output, "TRYAGAIN Multiple keys request during rehashing of slot");
                return false;
            default:
                RespWriter.Error(_output, "CLUSTERDOWN The cluster is down");
                return false;
        }
    }

    private string UnknownCommand(ReadOnlySpan<byte> buffer)
    {
        var text = new StringBuilder("ERR unknown command '");
        text.Append(Printable(_request.Arg(buffer, 0))).Append("', with args beginning with: ");
        for (var i = 1; i < _request.Count && i < 16; i++)
        {
            text.Append('\'').Append(Printable(_request.Arg(buffer, i))).Append("' ");
        }

        return text.ToString();
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var shown = bytes.Length > 128 ? bytes[..128] : bytes;
        return Encoding.UTF8.GetString(shown).Replace('\'', '"');
    }

    public async ValueTask DisposeAsync()
    {
        if (!Server.Forget(this))
        {
            return; // already disposed
        }

        await _closed.CancelAsync();
        if (_discardReplies)
        {
            // Completing the writer would flush what it holds; resetting the connection first makes that flush fail,
            // so the client sees the connection drop without the replies of the round (its outcome is unknown).
            if (_socket is not null)
            {
                _socket.LingerState = new LingerOption(true, 0);
                _socket.Close();
            }
            else
            {
                await _stream.DisposeAsync();
            }
        }

        try
        {
            await _output.CompleteAsync();
            await _input.CompleteAsync();
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        await _stream.DisposeAsync();
        _socket?.Dispose();
        Values.Dispose();
        Scratch.Dispose();
        _closed.Dispose();
    }
}

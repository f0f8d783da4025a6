using System.Buffers;
using System.Buffers.Text;
using System.Net.Sockets;

namespace Cairn.Client.Resp;

/// <summary>
/// One TCP connection to a RESP server, used by one caller at a time: it writes a pipeline of commands, then reads
/// exactly one reply per command, so replies can never be matched to the wrong request. Any I/O failure, timeout
/// or cancellation in the middle of a request leaves the stream in an unknown state, so the connection marks
/// itself <see cref="Broken"/> and is closed rather than reused.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private const int WriteBufferSize = 64 * 1024;
    private const int InlineArgument = 16 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly RespClientOptions _options;
    private readonly RespReplyReader _reader;
    private readonly ArrayBufferWriter<byte> _pending = new(WriteBufferSize);
    private CancellationTokenSource? _timeout;
    private IProgress<long>? _progress;
    private long _sent;

    private RespConnection(Socket socket, RespClientOptions options)
    {
        _socket = socket;
        _options = options;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new RespReplyReader(_stream, options.MaxReplyBulkLength, beforeRead: Rearm);
    }

    /// <summary>Whether a failure left the connection unusable.</summary>
    public bool Broken { get; private set; }

    /// <summary>Where the connection goes, for messages.</summary>
    public string Address => $"{_options.Host}:{_options.Port}";

    /// <summary>Connects and, when a password is configured, authenticates.</summary>
    /// <exception cref="RespConnectionException">The server cannot be reached.</exception>
    /// <exception cref="RespServerException">Authentication failed.</exception>
    public static async Task<RespConnection> ConnectAsync(RespClientOptions options, CancellationToken cancellationToken)
    {
        var address = $"{options.Host}:{options.Port}";
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(options.Host, options.Port, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new RespConnectionException($"cannot reach Cairn at {address}: no connection within {options.ConnectTimeout.TotalSeconds:0.#} s");
            }
            catch (SocketException e)
            {
                socket.Dispose();
                var reason = e.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused (is the server running?)",
                    SocketError.HostNotFound or SocketError.NoData => "unknown host",
                    SocketError.TimedOut => "timed out",
                    _ => e.Message,
                };
                throw new RespConnectionException($"cannot reach Cairn at {address}: {reason}", e);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        var connection = new RespConnection(socket, options);
        if (options.Password is not null)
        {
            var auth = new RespCommand("AUTH");
            if (options.User is not null)
            {
                auth.Add(options.User);
            }

            auth.Add(options.Password);
            try
            {
                var replies = await connection.ExecuteAsync([auth], progress: null, cancellationToken);
                replies[0].ThrowIfError();
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        return connection;
    }

    /// <summary>Sends <paramref name="commands"/> as one pipeline and reads their replies, errors included, in order.</summary>
    /// <param name="commands">The commands.</param>
    /// <param name="progress">Told the running total of request bytes sent, as they go out.</param>
    /// <param name="cancellationToken">Cancels the request; the connection is then broken.</param>
    public async Task<RespReply[]> ExecuteAsync(IReadOnlyList<RespCommand> commands, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        if (Broken)
        {
            throw new InvalidOperationException("The connection failed earlier and cannot be used.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _timeout = timeout;
        _progress = progress;
        _sent = 0;
        try
        {
            foreach (var command in commands)
            {
                await WriteCommandAsync(command, timeout.Token);
            }

            await FlushPendingAsync(timeout.Token);
            var replies = new RespReply[commands.Count];
            for (var i = 0; i < replies.Length; i++)
            {
                replies[i] = await _reader.ReadAsync(timeout.Token);
            }

            return replies;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Broken = true;
            throw new RespConnectionException($"Cairn at {Address} did not answer within {_options.IoTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Broken = true;
            if (e is RespConnectionException)
            {
                throw;
            }

            var reason = e is EndOfStreamException ? "the server closed the connection" : e.Message;
            throw new RespConnectionException($"lost the connection to Cairn at {Address}: {reason}", e);
        }
        catch
        {
            Broken = true;
            throw;
        }
        finally
        {
            _timeout = null;
            _progress = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Broken = true;
        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private void Rearm() => _timeout?.CancelAfter(_options.IoTimeout);

    private async ValueTask WriteCommandAsync(RespCommand command, CancellationToken cancellationToken)
    {
        var args = command.Arguments;
        WriteHeader((byte)'*', args.Count);
        foreach (var arg in args)
        {
            WriteHeader((byte)'$', arg.Length);
            if (arg.Length <= InlineArgument)
            {
                _pending.Write(arg.Span);
            }
            else
            {
                // A large argument goes out in chunks, straight from the caller's memory.
                await FlushPendingAsync(cancellationToken);
                for (var at = 0; at < arg.Length; at += WriteBufferSize)
                {
                    var chunk = arg.Slice(at, Math.Min(WriteBufferSize, arg.Length - at));
                    Rearm();
                    await _stream.WriteAsync(chunk, cancellationToken);
                    Sent(chunk.Length);
                }
            }

            _pending.Write("\r\n"u8);
            if (_pending.WrittenCount >= WriteBufferSize)
            {
                await FlushPendingAsync(cancellationToken);
            }
        }
    }

    private void WriteHeader(byte prefix, long value)
    {
        var span = _pending.GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(value, span[1..], out var digits);
        span[1 + digits] = (byte)'\r';
        span[2 + digits] = (byte)'\n';
        _pending.Advance(digits + 3);
    }

    private async ValueTask FlushPendingAsync(CancellationToken cancellationToken)
    {
        if (_pending.WrittenCount == 0)
        {
            return;
        }

        Rearm();
        await _stream.WriteAsync(_pending.WrittenMemory, cancellationToken);
        Sent(_pending.WrittenCount);
        _pending.ResetWrittenCount();
    }

    private void Sent(int bytes)
    {
        _sent += bytes;
        _progress?.Report(_sent);
    }
}

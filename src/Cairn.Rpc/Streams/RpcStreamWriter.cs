using Cairn.Rpc.Connection;

namespace Cairn.Rpc;

/// <summary>
/// The sending end of a stream of bulk bytes. <see cref="WriteAsync"/> waits for the receiver's credit, so at most
/// one receive window is in flight: a fast sender is slowed to the receiver's pace instead of filling its memory.
/// Write from one task at a time; finish with <see cref="CompleteAsync"/>, or dispose to abort.
/// </summary>
public sealed class RpcStreamWriter : IAsyncDisposable
{
    private readonly RpcConnection _connection;
    private readonly SemaphoreSlim _creditArrived = new(0);
    private readonly int _chunkBytes;
    private PendingCall? _call;
    private long _credit;
    private long _granted;
    private long _firstGrant = -1;
    private long _sent;
    private long _maxOutstanding;
    private long _creditWaits;
    private volatile RpcException? _failure;
    private bool _finished;

    internal RpcStreamWriter(RpcConnection connection, ulong id, string method, int chunkBytes)
    {
        _connection = connection;
        Id = id;
        Method = method;
        _chunkBytes = chunkBytes;
    }

    /// <summary>The method the stream was opened for.</summary>
    public string Method { get; }

    /// <summary>How many bytes have been handed to the connection so far.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

    internal ulong Id { get; }

    /// <summary>The most bytes ever sent and not yet consumed by the receiver, beyond its first window's credit (for tests).</summary>
    internal long MaxOutstandingBytes => Interlocked.Read(ref _maxOutstanding);

    /// <summary>How many times a write had to wait for the receiver's credit (for tests: proof of back-pressure).</summary>
    internal long CreditWaits => Interlocked.Read(ref _creditWaits);

    internal void Attach(PendingCall call) => _call = call;

    /// <summary>Sends <paramref name="data"/>, split into chunks, waiting for credit as needed. The caller may reuse the buffer when this returns.</summary>
    /// <exception cref="RpcException">The receiver answered early (its status), the stream was aborted, or the connection closed.</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        while (!data.IsEmpty)
        {
            var piece = data[..Math.Min(_chunkBytes, data.Length)];
            while (Interlocked.Read(ref _credit) < piece.Length)
            {
                ThrowIfFailed();
                Interlocked.Increment(ref _creditWaits);
                await _creditArrived.WaitAsync(cancellationToken);
            }

            ThrowIfFailed();
            Interlocked.Add(ref _credit, -piece.Length);
            var sent = Interlocked.Add(ref _sent, piece.Length);
            var outstanding = sent - (Interlocked.Read(ref _granted) - Interlocked.Read(ref _firstGrant));
            if (outstanding > _maxOutstanding)
            {
                Interlocked.Exchange(ref _maxOutstanding, outstanding);
            }

            // Copied because the frame waits in the send queue after this returns; credit bounds these copies.
            _connection.SendStreamData(Id, piece.ToArray());
            data = data[piece.Length..];
        }
    }

    /// <summary>Ends the stream and waits for the receiver's answer.</summary>
    /// <exception cref="RpcException">The receiver failed, the deadline passed, or the connection closed.</exception>
    public async Task<RpcResponse> CompleteAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFailed();
        if (!_finished)
        {
            _finished = true;
            _connection.SendStreamEnd(Id, RpcStatus.Ok, string.Empty);
        }

        return await _call!.Response.WaitAsync(cancellationToken);
    }

    /// <summary>Aborts the stream if it was not completed; the receiver sees <see cref="RpcStatus.Aborted"/>.</summary>
    public ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            _finished = true;
            _connection.AbortStream(Id, "the sender disposed the stream before completing it");
        }

        _creditArrived.Dispose();
        return ValueTask.CompletedTask;
    }

    internal void AddCredit(long bytes)
    {
        Interlocked.CompareExchange(ref _firstGrant, bytes, -1);
        Interlocked.Add(ref _granted, bytes);
        Interlocked.Add(ref _credit, bytes);
        Release();
    }

    internal void Fail(RpcException error)
    {
        _failure ??= error;
        Release();
    }

    private void Release()
    {
        try
        {
            _creditArrived.Release();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new RpcException(failure.Status, failure.Message, failure);
        }

        // The receiver may answer before the stream ends (it failed, or needed no more): stop sending then.
        if (_call is { Response.IsCompleted: true } call)
        {
            throw call.Response.IsCompletedSuccessfully
                ? new RpcException(RpcStatus.Aborted, $"the receiver of stream '{Method}' answered before the stream ended; it wants no more data")
                : call.Response.Exception!.InnerException as RpcException ?? new RpcException(RpcStatus.Unavailable, "stream failed");
        }
    }
}

using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Cairn.Rpc.Framing;

namespace Cairn.Rpc.Streams;

/// <summary>
/// The receiving end of a stream. The receiver grants the sender credit in bytes; it grants more only as its
/// consumer finishes chunks, so at most one window of bytes is ever buffered here. A sender that sends beyond its
/// credit breaks the protocol and loses the connection: that is what keeps a misbehaving peer from exhausting memory.
/// </summary>
internal sealed class IncomingStream
{
    private readonly Channel<byte[]> _chunks = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Action<long> _grant;
    private readonly int _window;
    private long _granted;
    private long _received;
    private long _buffered;
    private long _maxBuffered;
    private long _consumedSinceGrant;

    /// <param name="window">The most bytes buffered at once.</param>
    /// <param name="grant">Sends the sender a credit of this many bytes.</param>
    public IncomingStream(int window, Action<long> grant)
    {
        _window = window;
        _grant = grant;
    }

    /// <summary>The most bytes that were ever buffered unread (for tests and metrics).</summary>
    public long MaxBufferedBytes => Interlocked.Read(ref _maxBuffered);

    /// <summary>Grants the first window; called once the stream is accepted.</summary>
    public void Open() => Grant(_window);

    /// <summary>A chunk arrived (on the connection's receive loop).</summary>
    /// <exception cref="FrameFormatException">The sender went beyond its credit.</exception>
    public void OnData(ulong id, byte[] chunk)
    {
        _received += chunk.Length;
        var granted = Interlocked.Read(ref _granted);
        if (_received > granted)
        {
            throw new FrameFormatException($"stream {id} sent {_received} bytes but was granted only {granted}: the sender ignores flow control");
        }

        var buffered = Interlocked.Add(ref _buffered, chunk.Length);
        if (buffered > Interlocked.Read(ref _maxBuffered))
        {
            Interlocked.Exchange(ref _maxBuffered, buffered);
        }

        _chunks.Writer.TryWrite(chunk);
    }

    /// <summary>The sender finished, or aborted with <paramref name="error"/>.</summary>
    public void OnEnd(Exception? error = null) => _chunks.Writer.TryComplete(error);

    /// <summary>Reads the chunks in order; a chunk's credit is returned when the consumer asks for the next one.</summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await _chunks.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_chunks.Reader.TryRead(out var chunk))
            {
                yield return chunk;
                Consumed(chunk.Length);
            }
        }
    }

    private void Consumed(int length)
    {
        Interlocked.Add(ref _buffered, -length);
        _consumedSinceGrant += length;
        // Grant in batches of a quarter window: fewer credit frames, and the sender still never stalls for long.
        if (_consumedSinceGrant >= Math.Max(1, _window / 4))
        {
            var credit = _consumedSinceGrant;
            _consumedSinceGrant = 0;
            Grant(credit);
        }
    }

    private void Grant(long bytes)
    {
        Interlocked.Add(ref _granted, bytes);
        _grant(bytes);
    }
}

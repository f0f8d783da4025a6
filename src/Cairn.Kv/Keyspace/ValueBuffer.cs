using System.Buffers;

namespace Cairn.Kv.Keyspace;

/// <summary>
/// A reusable buffer a connection reads values into, so a GET allocates nothing. It grows to fit the largest value
/// it has held (at most the value limit) and returns its memory to the pool when disposed.
/// </summary>
public sealed class ValueBuffer : IDisposable
{
    private byte[] _array = ArrayPool<byte>.Shared.Rent(4096);

    /// <summary>The bytes of the value last read.</summary>
    public ReadOnlySpan<byte> Value => _array.AsSpan(Start, Length);

    /// <summary>How many bytes the value last read has.</summary>
    public int Length { get; internal set; }

    /// <summary>Where the value starts in the buffer (after the stored header).</summary>
    internal int Start { get; set; }

    internal Span<byte> Space => _array;

    /// <summary>Makes room for at least <paramref name="size"/> bytes.</summary>
    internal void Ensure(int size)
    {
        if (size > _array.Length)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = ArrayPool<byte>.Shared.Rent(size);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_array);
        _array = [];
    }
}

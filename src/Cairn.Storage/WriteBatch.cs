using Cairn.Core;

namespace Cairn.Storage;

/// <summary>
/// Puts and deletes that an engine applies atomically (<see cref="IKvEngine.Write"/>). Operations apply in the
/// order they were added; a later operation on a key wins. The batch owns copies of its keys and values.
/// </summary>
public sealed class WriteBatch
{
    private readonly List<BatchOperation> _operations = [];

    /// <summary>The operations, in the order they were added.</summary>
    public IReadOnlyList<BatchOperation> Operations => _operations;

    /// <summary>How many operations the batch holds.</summary>
    public int Count => _operations.Count;

    /// <summary>The bytes of keys and values the batch holds.</summary>
    public long ByteSize { get; private set; }

    /// <summary>Adds a put of <paramref name="key"/> to <paramref name="value"/>.</summary>
    public WriteBatch Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Add(new BatchOperation(key.ToArray(), value.ToArray()));

    /// <summary>Adds a delete of <paramref name="key"/>.</summary>
    public WriteBatch Delete(ReadOnlySpan<byte> key) => Add(new BatchOperation(key.ToArray(), null));

    /// <summary>Empties the batch so it can be filled again.</summary>
    public void Clear()
    {
        _operations.Clear();
        ByteSize = 0;
    }

    private WriteBatch Add(BatchOperation operation)
    {
        LimitExceededException.ThrowIfAbove("write batch", _operations.Count + 1L, Limits.MaxBatchCount, "operations");
        var size = operation.Key.Length + (operation.Value?.Length ?? 0);
        LimitExceededException.ThrowIfAbove("write batch", ByteSize + size, Limits.MaxBatchSize);
        _operations.Add(operation);
        ByteSize += size;
        return this;
    }
}

/// <summary>One operation of a <see cref="WriteBatch"/>: a put when <see cref="Value"/> is set, a delete when it is null.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The new value, or null for a delete.</param>
public sealed record BatchOperation(byte[] Key, byte[]? Value)
{
    /// <summary>Whether the operation removes its key.</summary>
    public bool IsDelete => Value is null;
}

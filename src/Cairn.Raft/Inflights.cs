namespace Cairn.Raft;

/// <summary>
/// The last indexes of append messages sent to one follower and not yet acknowledged, bounded by
/// <see cref="RaftConfig.MaxInflightMessages"/>. A full window pauses replication to that follower.
/// </summary>
internal sealed class Inflights
{
    private readonly Queue<ulong> _lastIndexes = new();
    private readonly int _capacity;

    public Inflights(int capacity) => _capacity = capacity;

    public int Count => _lastIndexes.Count;

    public bool Full => _lastIndexes.Count >= _capacity;

    public void Add(ulong lastIndex)
    {
        if (Full)
        {
            throw new InvalidOperationException("Cannot add to a full inflight window.");
        }

        _lastIndexes.Enqueue(lastIndex);
    }

    /// <summary>Frees every message whose last index is at or below the acknowledged index.</summary>
    public void FreeLE(ulong index)
    {
        while (_lastIndexes.Count > 0 && _lastIndexes.Peek() <= index)
        {
            _lastIndexes.Dequeue();
        }
    }

    /// <summary>Frees the oldest message, so a window whose acknowledgements were lost can move again.</summary>
    public void FreeFirstOne() => _lastIndexes.TryDequeue(out _);

    public void Reset() => _lastIndexes.Clear();
}

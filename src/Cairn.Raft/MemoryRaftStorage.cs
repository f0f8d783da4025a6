namespace Cairn.Raft;

/// <summary>
/// The entries and hard state a host has persisted, kept in memory. A durable store implements the same contract:
/// <see cref="Append"/> may replace an uncommitted suffix, never a committed entry.
/// </summary>
public sealed class MemoryRaftStorage : IRaftStorage
{
    // Index 0 holds a sentinel entry of term 0, so every real index has a predecessor to match against.
    private readonly List<Entry> _entries = [new Entry(0, 0, EntryType.Normal, ReadOnlyMemory<byte>.Empty)];

    /// <summary>The persisted hard state.</summary>
    public HardState HardState { get; private set; }

    /// <summary>The index of the last persisted entry (0 when empty).</summary>
    public ulong LastIndex => _entries[^1].Index;

    /// <summary>The term of the entry at <paramref name="index"/>; index 0 has term 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is beyond <see cref="LastIndex"/>.</exception>
    public ulong Term(ulong index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, LastIndex);
        return _entries[(int)index].Term;
    }

    /// <summary>The entries in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public IReadOnlyList<Entry> Entries(ulong low, ulong high)
    {
        if (low == 0 || low > high || high > LastIndex + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(low), $"[{low}, {high}) is outside [1, {LastIndex + 1}).");
        }

        return _entries.GetRange((int)low, (int)(high - low));
    }

    /// <summary>Persists a hard state, after the entries it commits. Terms and commit indexes never go backwards.</summary>
    public void SetHardState(HardState state)
    {
        if (state.Term < HardState.Term || state.Commit < HardState.Commit)
        {
            throw new InvalidOperationException($"Hard state went backwards: {HardState} -> {state}.");
        }

        if (state.Commit > LastIndex)
        {
            throw new InvalidOperationException($"Hard state commits {state.Commit}, beyond the last stored index {LastIndex}: append the entries first.");
        }

        HardState = state;
    }

    /// <summary>
    /// Appends entries with consecutive indexes, first dropping any stored entries at or after the first new index.
    /// </summary>
    /// <exception cref="InvalidOperationException">The entries leave a gap, are not consecutive, or would change a committed entry.</exception>
    public void Append(IReadOnlyList<Entry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        var first = entries[0].Index;
        if (first == 0 || first > LastIndex + 1)
        {
            throw new InvalidOperationException($"Appending at {first} would leave a gap after {LastIndex}.");
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var index = entries[i].Index;
            if (index != first + (ulong)i)
            {
                throw new InvalidOperationException($"Entry indexes are not consecutive at {index}.");
            }

            if (index <= LastIndex && index <= HardState.Commit && _entries[(int)index].Term != entries[i].Term)
            {
                throw new InvalidOperationException($"Committed entry {index} would be overwritten.");
            }
        }

        _entries.RemoveRange((int)first, _entries.Count - (int)first);
        _entries.AddRange(entries);
    }
}

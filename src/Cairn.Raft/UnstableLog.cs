namespace Cairn.Raft;

/// <summary>
/// The log's tail that the host has not persisted yet: entries from <see cref="Offset"/> on. It may replace a
/// conflicting suffix of stable storage; until persisted, it shadows storage from <see cref="Offset"/> on.
/// </summary>
internal sealed class UnstableLog
{
    private readonly List<Entry> _entries = [];

    public UnstableLog(ulong offset) => Offset = offset;

    /// <summary>The index of the first unstable entry (the one after stable storage when empty).</summary>
    public ulong Offset { get; private set; }

    public IReadOnlyList<Entry> Entries => _entries;

    public bool TryLastIndex(out ulong index)
    {
        index = _entries.Count == 0 ? 0 : Offset + (ulong)_entries.Count - 1;
        return _entries.Count > 0;
    }

    public bool TryTerm(ulong index, out ulong term)
    {
        term = 0;
        if (index < Offset || index >= Offset + (ulong)_entries.Count)
        {
            return false;
        }

        term = _entries[(int)(index - Offset)].Term;
        return true;
    }

    /// <summary>The entry at <paramref name="index"/>, which must lie inside this tail.</summary>
    public Entry At(ulong index)
    {
        if (index < Offset || index >= Offset + (ulong)_entries.Count)
        {
            throw new InvalidOperationException($"Unstable entry {index} is outside [{Offset}, {Offset + (ulong)_entries.Count}).");
        }

        return _entries[(int)(index - Offset)];
    }

    /// <summary>Appends entries, first dropping every entry at or after the first new index.</summary>
    public void TruncateAndAppend(IReadOnlyList<Entry> entries)
    {
        var after = entries[0].Index;
        var end = Offset + (ulong)_entries.Count;
        if (after == end)
        {
            // The common case: the new entries follow on.
        }
        else if (after <= Offset)
        {
            // Replace the whole tail, and shadow the stable entries from 'after' on.
            Offset = after;
            _entries.Clear();
        }
        else if (after < end)
        {
            _entries.RemoveRange((int)(after - Offset), (int)(end - after));
        }
        else
        {
            throw new InvalidOperationException($"Appending at {after} would leave a gap after {end - 1}.");
        }

        _entries.AddRange(entries);
    }

    /// <summary>The host persisted entries up to (<paramref name="index"/>, <paramref name="term"/>): drop them here.</summary>
    public void StableTo(ulong index, ulong term)
    {
        // A mismatch means the entry was replaced after the host took it: it stays unstable, to be persisted again.
        if (!TryTerm(index, out var ourTerm) || ourTerm != term)
        {
            return;
        }

        var count = (int)(index + 1 - Offset);
        _entries.RemoveRange(0, count);
        Offset = index + 1;
    }

    /// <summary>A snapshot replaced the log: the tail restarts empty right after it.</summary>
    public void Restore(ulong offset)
    {
        _entries.Clear();
        Offset = offset;
    }
}

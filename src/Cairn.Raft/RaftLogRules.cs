namespace Cairn.Raft;

/// <summary>
/// What every <see cref="IRaftStorage.Append"/> and <see cref="IRaftStorage.SetHardState"/> must refuse, checked in
/// one place for every log.
/// </summary>
internal static class RaftLogRules
{
    /// <summary>Refuses a hard state that goes backwards or commits entries the log does not hold.</summary>
    /// <exception cref="InvalidOperationException">The hard state breaks one of those rules.</exception>
    public static void CheckHardState(HardState current, HardState next, ulong lastIndex)
    {
        if (next.Term < current.Term || next.Commit < current.Commit)
        {
            throw new InvalidOperationException($"Hard state went backwards: {current} -> {next}.");
        }

        if (next.Commit > lastIndex)
        {
            throw new InvalidOperationException($"Hard state commits {next.Commit}, beyond the last stored index {lastIndex}: append the entries first.");
        }
    }

    /// <summary>
    /// Refuses an append to a log holding (<paramref name="compactedIndex"/>, <paramref name="lastIndex"/>] that would
    /// leave a gap, rewrite compacted or committed entries, skip an index, or lower the term.
    /// </summary>
    /// <exception cref="InvalidOperationException">The append breaks one of those rules; the message says which.</exception>
    public static void CheckAppend(IReadOnlyList<Entry> entries, ulong compactedIndex, ulong lastIndex, ulong commit, Func<ulong, ulong> termAt)
    {
        var first = entries[0].Index;
        if (first <= compactedIndex)
        {
            throw new InvalidOperationException($"Appending at {first} would rewrite compacted entries (the log starts at {compactedIndex + 1}).");
        }

        if (first > lastIndex + 1)
        {
            throw new InvalidOperationException($"Appending at {first} would leave a gap after {lastIndex}.");
        }

        var previousTerm = termAt(first - 1);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Index != first + (ulong)i)
            {
                throw new InvalidOperationException($"Entry indexes are not consecutive at {entry.Index}.");
            }

            if (entry.Term < previousTerm)
            {
                throw new InvalidOperationException($"Entry {entry.Index} has term {entry.Term}, below the term {previousTerm} before it.");
            }

            if (entry.Index <= lastIndex && entry.Index <= commit && termAt(entry.Index) != entry.Term)
            {
                throw new InvalidOperationException($"Committed entry {entry.Index} would be overwritten.");
            }

            previousTerm = entry.Term;
        }
    }
}

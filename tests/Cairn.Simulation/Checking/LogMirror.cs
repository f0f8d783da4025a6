using Cairn.Raft;
using Cairn.Simulation.Kv;

namespace Cairn.Simulation.Checking;

/// <summary>
/// A checker's copy of one node's persisted log as (term, prefix hash) per index, where the prefix hash covers every
/// entry up to that index. Two logs are identical up to i exactly when their prefix hashes at i agree, so log
/// matching and leader completeness are O(1) comparisons instead of walks over both logs after every step.
/// </summary>
public sealed class LogMirror
{
    private readonly List<ulong> _terms = [0];
    private readonly List<ulong> _prefixes = [0];

    public ulong LastIndex => (ulong)_terms.Count - 1;

    public ulong TermAt(ulong index) => _terms[(int)index];

    public ulong PrefixAt(ulong index) => _prefixes[(int)index];

    /// <summary>Mirrors <see cref="IRaftStorage.Append"/>: drops the suffix from the first new index, then appends.</summary>
    public void Append(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var first = (int)entries[0].Index;
        if (first > _terms.Count)
        {
            throw new InvariantViolationException($"The host appended at {first} with the log ending at {LastIndex}.");
        }

        _terms.RemoveRange(first, _terms.Count - first);
        _prefixes.RemoveRange(first, _prefixes.Count - first);
        foreach (var entry in entries)
        {
            _terms.Add(entry.Term);
            _prefixes.Add(StableHash.Combine(_prefixes[^1], StableHash.Combine(entry.Term, entry.Index), StableHash.Bytes(entry.Data.Span)));
        }
    }

    /// <summary>
    /// Reads the log back from storage (after a restart: a crash may have cut its unsynced tail). Entries a snapshot
    /// covers are gone from storage; the mirror keeps what it knew of them (they were committed, so they cannot change).
    /// </summary>
    public void Rebuild(IRaftStorage storage)
    {
        var keep = (int)Math.Min(storage.FirstIndex, (ulong)_terms.Count);
        _terms.RemoveRange(keep, _terms.Count - keep);
        _prefixes.RemoveRange(keep, _prefixes.Count - keep);
        if (storage.LastIndex >= storage.FirstIndex)
        {
            Append(storage.Entries(storage.FirstIndex, storage.LastIndex + 1));
        }
    }

    /// <summary>Mirrors a snapshot install: the log becomes <paramref name="source"/>'s up to <paramref name="index"/>, nothing after.</summary>
    public void InstallFrom(LogMirror source, ulong index)
    {
        _terms.Clear();
        _prefixes.Clear();
        _terms.AddRange(source._terms.Take((int)index + 1));
        _prefixes.AddRange(source._prefixes.Take((int)index + 1));
    }
}

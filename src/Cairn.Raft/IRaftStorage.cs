namespace Cairn.Raft;

/// <summary>
/// The persisted entries and hard state of one node: what <see cref="RawNode"/> reads on start and while running,
/// and what the host writes as <see cref="Ready"/> asks. <see cref="Append"/> may replace an uncommitted suffix,
/// never a committed entry.
/// </summary>
public interface IRaftStorage
{
    /// <summary>The persisted hard state.</summary>
    HardState HardState { get; }

    /// <summary>The index of the last persisted entry (0 when empty).</summary>
    ulong LastIndex { get; }

    /// <summary>The term of the entry at <paramref name="index"/>; index 0 has term 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is beyond <see cref="LastIndex"/> or no longer stored.</exception>
    ulong Term(ulong index);

    /// <summary>The entries in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not stored.</exception>
    IReadOnlyList<Entry> Entries(ulong low, ulong high);

    /// <summary>Appends entries with consecutive indexes, first dropping any stored entries at or after the first new index.</summary>
    /// <exception cref="InvalidOperationException">The entries leave a gap, are not consecutive, or would change a committed entry.</exception>
    void Append(IReadOnlyList<Entry> entries);

    /// <summary>Persists a hard state, after the entries it commits. Terms and commit indexes never go backwards.</summary>
    void SetHardState(HardState state);
}

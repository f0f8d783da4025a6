namespace Cairn.Raft;

/// <summary>
/// The memberships a node's log defines: a base (the bootstrap peers or a snapshot's) and one membership after each
/// valid <see cref="EntryType.ConfChange"/> entry in the log. Single-server changes take effect when appended, so the
/// membership in force is the newest one, committed or not, and truncating the log takes the changes with it.
/// </summary>
internal sealed class MembershipLog
{
    // Ascending by index; the first is the base and is never dropped by a truncation.
    private readonly List<(ulong Index, ConfState State)> _memberships = [];

    public MembershipLog(ulong baseIndex, ConfState baseState) => _memberships.Add((baseIndex, baseState));

    /// <summary>The membership in force: the one the newest change in the log defines.</summary>
    public ConfState Current => _memberships[^1].State;

    /// <summary>The index of the newest change in the log (or of the base).</summary>
    public ulong CurrentIndex => _memberships[^1].Index;

    /// <summary>The membership after every entry up to <paramref name="index"/>, which must not be below the base.</summary>
    public ConfState At(ulong index)
    {
        if (index < _memberships[0].Index)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"The membership before {_memberships[0].Index} is no longer known (snapshot).");
        }

        for (var i = _memberships.Count - 1; i >= 0; i--)
        {
            if (_memberships[i].Index <= index)
            {
                return _memberships[i].State;
            }
        }

        return _memberships[0].State;
    }

    /// <summary>Entries are appended from <c>entries[0].Index</c> on: changes at or after it are gone, new ones count.</summary>
    public void Appended(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var from = entries[0].Index;
        while (_memberships.Count > 1 && _memberships[^1].Index >= from)
        {
            _memberships.RemoveAt(_memberships.Count - 1);
        }

        foreach (var entry in entries)
        {
            Add(entry);
        }
    }

    /// <summary>Counts one entry at the end of the log; invalid or no-op changes are ignored on every node alike.</summary>
    public void Add(Entry entry)
    {
        if (entry.Type == EntryType.ConfChange && entry.Index > CurrentIndex
            && ConfChange.TryDecode(entry.Data.Span, out var change) && Current.TryApply(change) is { } next)
        {
            _memberships.Add((entry.Index, next));
        }
    }

    /// <summary>A snapshot replaced the log: its membership is the new base.</summary>
    public void Reset(ulong index, ConfState state)
    {
        _memberships.Clear();
        _memberships.Add((index, state));
    }
}

using Cairn.Core;
using Cairn.Kv.Keyspace;

namespace Cairn.Kv.Replication;

/// <summary>
/// The shard-group side of moving slots between groups (ADR 0026). The source group's leader fences the slots (a
/// record in the group's log: from then on it serves neither reads nor writes for them), reads their keys out, and
/// the target group's leader writes them in through its own log, after a reset that clears whatever an earlier
/// attempt left. Each group then settles its records against the control group's outcome: a source releases (or,
/// after an abort, lifts) its fence, a target adopts (or discards) what it imported.
/// </summary>
public sealed partial class ReplicatedKvBackend
{
    /// <summary>Fences <paramref name="slots"/> in <paramref name="groupId"/>, which this node must lead, each at the migration epoch given; returns once the fence is committed.</summary>
    /// <exception cref="InvalidOperationException">This node does not lead the group now.</exception>
    /// <exception cref="ReplicationFailedException">The fence was not committed (leadership moved): try again.</exception>
    public async Task FenceAsync(ulong groupId, IReadOnlyList<(int Slot, ulong Epoch)> slots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slots);
        var leader = LeaderOrThrow(groupId);
        var (first, last) = leader.Keyspace.Exclusive(() =>
        {
            ulong first = 0, last = 0;
            foreach (var (slot, epoch) in slots)
            {
                CheckSlot(slot);
                leader.Closed.Close(slot); // before the record is proposed: no command evaluated after it touches the slot

                // Proposed again even when already recorded: a blind write, and waiting for it also waits for the first.
                last = leader.Keyspace.WriteHandoverLocked(slot, HandoverKind.Fenced, epoch);
                first = first == 0 ? last : first;
                leader.Handovers[slot] = (HandoverKind.Fenced, epoch);
            }

            return (first, last);
        });

        await _tracker.WaitAsync(first, last, cancellationToken); // and so every write proposed before it

        if (leader.Invalid || !ReferenceEquals(LeaderOrNull(groupId), leader))
        {
            throw new ReplicationFailedException(); // the term ended: the new leader may not have the fence yet
        }
    }

    /// <summary>
    /// Reads the keys of <paramref name="slots"/>, which must be fenced here at the epochs given, from
    /// <paramref name="groupId"/> (led by this node): up to about <paramref name="maxBytes"/> after the position
    /// <paramref name="after"/>, with the position to continue from (null at the end).
    /// </summary>
    /// <exception cref="InvalidOperationException">This node does not lead the group, or a slot is not fenced at its epoch.</exception>
    public (List<(byte[] Key, byte[] Stored)> Entries, byte[]? Next) Export(ulong groupId, IReadOnlyList<(int Slot, ulong Epoch)> slots, byte[]? after, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(slots);
        var leader = LeaderOrThrow(groupId);
        return leader.Keyspace.Exclusive(() =>
        {
            foreach (var (slot, epoch) in slots)
            {
                if (!leader.Handovers.TryGetValue(slot, out var record) || record != (HandoverKind.Fenced, epoch))
                {
                    throw new InvalidOperationException($"Shard group {groupId} has not fenced slot {slot} at epoch {epoch}; fence it first.");
                }
            }

            return leader.Keyspace.ExportLocked(slots.Select(s => s.Slot).ToHashSet(), after, maxBytes);
        });
    }

    /// <summary>
    /// Writes keys exported from another group into <paramref name="groupId"/> (led by this node) for the migrations
    /// of <paramref name="slots"/> fenced at the epochs given; the first call of a copy passes
    /// <paramref name="reset"/>, which first deletes whatever the group holds of those slots. Returns once committed.
    /// </summary>
    /// <exception cref="InvalidOperationException">This node does not lead the group, or it owns one of the slots.</exception>
    /// <exception cref="ReplicationFailedException">The writes were not committed: start the copy again.</exception>
    public async Task ImportAsync(ulong groupId, IReadOnlyList<(int Slot, ulong Epoch)> slots, bool reset, IReadOnlyList<(byte[] Key, byte[] Stored)> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentNullException.ThrowIfNull(entries);
        var leader = LeaderOrThrow(groupId);
        var wanted = slots.Select(s => s.Slot).ToHashSet();
        foreach (var (key, _) in entries)
        {
            if (!wanted.Contains(HashSlot.Of(key)))
            {
                throw new InvalidOperationException($"An imported key hashes to slot {HashSlot.Of(key)}, which this copy does not move.");
            }
        }

        var (first, last) = leader.Keyspace.Exclusive(() =>
        {
            ulong first = 0, last = 0;
            void Note(ulong token)
            {
                if (token != 0)
                {
                    first = first == 0 ? token : first;
                    last = token;
                }
            }

            foreach (var (slot, epoch) in slots)
            {
                CheckSlot(slot);
                if (_groupOfSlot(slot) == groupId)
                {
                    throw new InvalidOperationException($"Shard group {groupId} owns slot {slot}; it cannot import it.");
                }

                if (!reset && (!leader.Handovers.TryGetValue(slot, out var record) || record != (HandoverKind.Imported, epoch)))
                {
                    throw new InvalidOperationException($"Shard group {groupId} is not importing slot {slot} at epoch {epoch}; start the copy again.");
                }
            }

            if (reset)
            {
                Note(leader.Keyspace.DropSlotsLocked(wanted));
                foreach (var (slot, epoch) in slots)
                {
                    leader.Closed.Open(slot);
                    Note(leader.Keyspace.WriteHandoverLocked(slot, HandoverKind.Imported, epoch));
                    leader.Handovers[slot] = (HandoverKind.Imported, epoch);
                }
            }

            Note(leader.Keyspace.ImportLocked(entries));
            return (first, last);
        });

        await _tracker.WaitAsync(first, last, cancellationToken);
        if (leader.Invalid)
        {
            throw new ReplicationFailedException();
        }
    }

    /// <summary>
    /// Settles the hand-over records of every group this node leads: <paramref name="decide"/> (group, slot, kind,
    /// epoch) says what each record's migration came to. Returns how many records were settled.
    /// </summary>
    public async Task<int> SettleHandoversAsync(Func<ulong, int, HandoverKind, ulong, HandoverAction> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decide);
        var settled = 0;
        foreach (var replica in _ordered)
        {
            if (replica.Leader is not { Invalid: false } leader || leader.Handovers.Count == 0)
            {
                continue;
            }

            var (count, first, last) = leader.Keyspace.Exclusive(() =>
            {
                ulong first = 0, last = 0;
                var settledHere = new List<(int Slot, HandoverAction Action)>();
                foreach (var (slot, record) in leader.Handovers)
                {
                    var action = decide(replica.GroupId, slot, record.Kind, record.Epoch);
                    if (action is not (HandoverAction.Keep or HandoverAction.Wait))
                    {
                        settledHere.Add((slot, action));
                    }
                }

                // One pass over the group's keys for every slot whose keys go.
                var dropped = settledHere.Where(s => s.Action is HandoverAction.Release or HandoverAction.Discard).Select(s => s.Slot).ToHashSet();
                if (dropped.Count > 0)
                {
                    first = leader.Keyspace.DropSlotsLocked(dropped);
                }

                foreach (var (slot, _) in settledHere)
                {
                    last = leader.Keyspace.WriteHandoverLocked(slot, null, 0);
                    first = first == 0 ? last : first;
                    leader.Handovers.Remove(slot);
                    leader.Closed.Open(slot);
                }

                foreach (var byAction in settledHere.GroupBy(s => s.Action))
                {
                    var slots = byAction.Select(s => s.Slot).Order().ToList();
                    var shown = string.Join(",", slots.Take(8)) + (slots.Count > 8 ? $",… ({slots.Count} slots)" : "");
                    _log($"shard group {replica.GroupId}: hand-over settled, {byAction.Key.ToString().ToLowerInvariant()} slots {shown}");
                }

                return (settledHere.Count, first, last);
            });

            if (count > 0)
            {
                await _tracker.WaitAsync(first, last, cancellationToken);
                settled += count;
            }
        }

        return settled;
    }

    /// <summary>The hand-over records of the groups this node leads (for operators and tests).</summary>
    public IReadOnlyDictionary<ulong, IReadOnlyDictionary<int, (HandoverKind Kind, ulong Epoch)>> Handovers()
    {
        var all = new Dictionary<ulong, IReadOnlyDictionary<int, (HandoverKind, ulong)>>();
        foreach (var replica in _ordered)
        {
            if (replica.Leader is { Invalid: false } leader)
            {
                all[replica.GroupId] = leader.Keyspace.Exclusive(() => new Dictionary<int, (HandoverKind, ulong)>(leader.Handovers));
            }
        }

        return all;
    }

    private LeaderKeyspace? LeaderOrNull(ulong groupId) =>
        _replicas.TryGetValue(groupId, out var replica) && replica.Leader is { Invalid: false } leader ? leader : null;

    private LeaderKeyspace LeaderOrThrow(ulong groupId) =>
        LeaderOrNull(groupId) ?? throw new InvalidOperationException($"This node does not lead shard group {groupId} now.");

    private static void CheckSlot(int slot)
    {
        if ((uint)slot >= HashSlot.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"A slot is 0..{HashSlot.Count - 1}.");
        }
    }

    /// <summary>The page without keys of slots <paramref name="leader"/>'s group does not own (copies in a hand-over).</summary>
    private PrefixScanPage Owned(ulong groupId, LeaderKeyspace leader, PrefixScanPage page)
    {
        if (leader.Handovers.Count == 0)
        {
            return page;
        }

        return page with { Entries = [.. page.Entries.Where(e => _groupOfSlot(HashSlot.Of(e.Key)) == groupId)] };
    }

    private KeyScanPage Owned(ulong groupId, KeyScanPage page) =>
        page.Keys.Any(k => _groupOfSlot(HashSlot.Of(k)) != groupId)
            ? page with { Keys = [.. page.Keys.Where(k => _groupOfSlot(HashSlot.Of(k)) == groupId)] }
            : page;
}

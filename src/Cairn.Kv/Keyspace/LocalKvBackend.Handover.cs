using System.Buffers.Binary;
using Cairn.Core;
using Cairn.Storage;

namespace Cairn.Kv.Keyspace;

/// <summary>
/// What a cluster shard group's leader needs of its keyspace to hand slots over to another group (ADR 0026): closing
/// slots, reading a slot's keys out in their stored form, writing them in, deleting a slot's keys, and the hand-over
/// records. Every method with <c>Locked</c> in its name runs inside <see cref="Exclusive{T}"/>, so it is ordered
/// against every command's evaluation, and its writes against theirs in the log.
/// </summary>
public sealed partial class LocalKvBackend
{
    /// <summary>The error a command for a closed slot gets; cluster clients retry <c>TRYAGAIN</c> shortly.</summary>
    internal const string ClosedSlotMessage = "TRYAGAIN The slot is being handed over to another shard group; try again";

    private const int ExportPageKeys = 1024;

    /// <summary>The slots this keyspace refuses commands for (null outside a cluster).</summary>
    internal ClosedSlots? ClosedSlots { get; set; }

    /// <summary>Runs <paramref name="work"/> with no command evaluating meanwhile.</summary>
    internal T Exclusive<T>(Func<T> work)
    {
        lock (_gate)
        {
            return work();
        }
    }

    /// <summary>
    /// Up to about <paramref name="maxBytes"/> of the live keys of <paramref name="slots"/> (at least one key when
    /// any is left), in key order after the engine key <paramref name="after"/>, each with its stored value (payload
    /// and expiry), and the engine key to continue after (null at the end).
    /// </summary>
    internal (List<(byte[] Key, byte[] Stored)> Entries, byte[]? Next) ExportLocked(IReadOnlySet<int> slots, byte[]? after, int maxBytes)
    {
        var entries = new List<(byte[], byte[])>();
        var bytes = 0;
        var now = Now;
        var range = KeyRange.Prefix([EngineKeys.Data]);
        while (true)
        {
            // Keys only: the slots moved are a small part of the group, whose other values need not be read.
            var page = _engine.Scan(range, after, ExportPageKeys, keysOnly: true);
            foreach (var entry in page.Entries)
            {
                after = entry.Key;
                var key = entry.Key.AsSpan(1);
                if (!slots.Contains(HashSlot.Of(key)) || _engine.Get(entry.Key) is not { } stored)
                {
                    continue;
                }

                if (StoredValue.TryRead(stored, out var expireAt, out _) && expireAt != 0 && expireAt <= now)
                {
                    continue; // expired: the target need not learn of it
                }

                entries.Add((key.ToArray(), stored));
                bytes += key.Length + stored.Length;
                if (bytes >= maxBytes)
                {
                    return (entries, after);
                }
            }

            if (page.Next is null)
            {
                return (entries, null);
            }

            after = page.Next;
        }
    }

    /// <summary>Writes keys in the stored form <see cref="ExportLocked"/> read them in, replacing what is there; returns the write's token (0: nothing written).</summary>
    /// <exception cref="FormatException">A stored value is malformed.</exception>
    internal ulong ImportLocked(IReadOnlyList<(byte[] Key, byte[] Stored)> entries)
    {
        var batch = new WriteBatch();
        var now = Now;
        foreach (var (key, stored) in entries)
        {
            LimitExceededException.ThrowIfAbove("key", key.Length, MaxKeySize);
            if (!StoredValue.TryRead(stored, out var expireAt, out _))
            {
                throw new FormatException("An imported value is not in the stored form.");
            }

            if (expireAt != 0 && expireAt <= now)
            {
                continue;
            }

            var dataKey = EngineKeys.DataKey(key);
            var isNew = _engine.GetSize(dataKey) < 0;
            batch.Put(dataKey, stored);
            if (_expiries.Remove(key, out var oldExpiry))
            {
                batch.Delete(EngineKeys.ExpiryKey(oldExpiry, key));
            }

            if (expireAt != 0)
            {
                batch.Put(EngineKeys.ExpiryKey(expireAt, key), []);
                _expiries[key] = expireAt;
            }

            if (isNew)
            {
                Interlocked.Increment(ref _count);
            }
        }

        return batch.Count == 0 ? 0 : _engine.WriteDeferred(batch);
    }

    /// <summary>Deletes every key of <paramref name="slots"/>, in writes of at most <paramref name="maxKeysPerWrite"/> keys; returns the last write's token (0: none).</summary>
    internal ulong DropSlotsLocked(IReadOnlySet<int> slots, int maxKeysPerWrite = 4096)
    {
        ulong token = 0;
        byte[]? after = null;
        var range = KeyRange.Prefix([EngineKeys.Data]);
        while (true)
        {
            var page = _engine.Scan(range, after, ExportPageKeys, keysOnly: true);
            var batch = new WriteBatch();
            foreach (var entry in page.Entries)
            {
                after = entry.Key;
                var key = entry.Key.AsSpan(1);
                if (!slots.Contains(HashSlot.Of(key)))
                {
                    continue;
                }

                batch.Delete(entry.Key);
                if (_expiries.Remove(key.ToArray(), out var expireAt))
                {
                    batch.Delete(EngineKeys.ExpiryKey(expireAt, key));
                }

                Interlocked.Decrement(ref _count);
                if (batch.Count >= maxKeysPerWrite)
                {
                    token = _engine.WriteDeferred(batch);
                    batch = new WriteBatch();
                }
            }

            if (batch.Count > 0)
            {
                token = _engine.WriteDeferred(batch);
            }

            if (page.Next is null)
            {
                return token;
            }

            after = page.Next;
        }
    }

    /// <summary>Records (or with a null <paramref name="kind"/>, forgets) a slot's hand-over; returns the write's token.</summary>
    internal ulong WriteHandoverLocked(int slot, HandoverKind? kind, ulong epoch)
    {
        var key = EngineKeys.HandoverKey(slot);
        if (kind is not { } recorded)
        {
            return _engine.DeleteDeferred(key, out _);
        }

        var value = new byte[9];
        value[0] = (byte)recorded;
        BinaryPrimitives.WriteUInt64BigEndian(value.AsSpan(1), epoch);
        return _engine.PutDeferred(key, value);
    }

    /// <summary>Every slot hand-over record, by slot.</summary>
    /// <exception cref="FormatException">A record is malformed.</exception>
    internal Dictionary<int, (HandoverKind Kind, ulong Epoch)> ReadHandovers()
    {
        var records = new Dictionary<int, (HandoverKind, ulong)>();
        foreach (var entry in _engine.ScanAll(KeyRange.Prefix([EngineKeys.Handover]), keysOnly: false, pageSize: 1024))
        {
            if (entry.Key.Length != 3 || entry.Value is not { Length: 9 } value || value[0] is not ((byte)HandoverKind.Fenced or (byte)HandoverKind.Imported))
            {
                throw new FormatException("A slot hand-over record is malformed.");
            }

            records[(entry.Key[1] << 8) | entry.Key[2]] = ((HandoverKind)value[0], BinaryPrimitives.ReadUInt64BigEndian(value.AsSpan(1)));
        }

        return records;
    }

    private void ThrowIfClosedLocked(ReadOnlySpan<byte> key)
    {
        if (ClosedSlots is { IsEmpty: false } closed && closed.Contains(HashSlot.Of(key)))
        {
            throw new KvException(ClosedSlotMessage);
        }
    }
}

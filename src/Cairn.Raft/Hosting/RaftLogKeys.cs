using System.Buffers.Binary;

namespace Cairn.Raft.Hosting;

/// <summary>
/// How <see cref="SharedRaftLog"/> lays groups out in its engine: big-endian group ids and indexes, so one group's
/// entries are one ordered key range.
/// <list type="bullet">
/// <item><c>'e' group index</c> → term (8, little-endian), type (1), data: one log entry;</item>
/// <item><c>'h' group</c> → term, vote, commit (8 each, little-endian): the hard state;</item>
/// <item><c>'c' group</c> → index, term (8 each): the last entry compacted away;</item>
/// <item><c>'s' group</c> → the newest snapshot's header (<see cref="Storage.SnapshotFormat"/>): index, term, membership.</item>
/// </list>
/// </summary>
internal static class RaftLogKeys
{
    public const int EntryKeySize = 17;
    public const int EntryHeaderSize = 9;

    public static byte[] Entry(ulong group, ulong index)
    {
        var key = new byte[EntryKeySize];
        key[0] = (byte)'e';
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(1), group);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(9), index);
        return key;
    }

    public static ulong IndexOfEntryKey(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt64BigEndian(key[9..]);

    public static byte[] HardState(ulong group) => GroupKey((byte)'h', group);

    public static byte[] Compacted(ulong group) => GroupKey((byte)'c', group);

    public static byte[] Snapshot(ulong group) => GroupKey((byte)'s', group);

    public static byte[] EncodeSnapshot(SnapshotMetadata snapshot) => Storage.SnapshotFormat.EncodeHeader(snapshot);

    public static SnapshotMetadata DecodeSnapshot(ulong group, byte[] value) =>
        Storage.SnapshotFormat.TryDecodeHeader(value, out var snapshot, out var error)
            ? snapshot
            : throw new Cairn.Storage.CorruptionException($"The snapshot record of group {group} is malformed: {error}");

    public static ulong GroupOf(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt64BigEndian(key[1..]);

    public static byte[] EncodeEntry(Entry entry)
    {
        var value = new byte[EntryHeaderSize + entry.Data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(value, entry.Term);
        value[8] = (byte)entry.Type;
        entry.Data.Span.CopyTo(value.AsSpan(EntryHeaderSize));
        return value;
    }

    public static Entry DecodeEntry(ulong index, byte[] value)
    {
        if (value.Length < EntryHeaderSize || value[8] > (byte)EntryType.ConfChange)
        {
            throw new Cairn.Storage.CorruptionException($"Raft log entry {index} is malformed ({value.Length} bytes).");
        }

        return new Entry(BinaryPrimitives.ReadUInt64LittleEndian(value), index, (EntryType)value[8], value.AsMemory(EntryHeaderSize));
    }

    public static byte[] EncodeHardState(HardState state)
    {
        var value = new byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(value, state.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(8), state.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(16), state.Commit);
        return value;
    }

    public static HardState DecodeHardState(byte[] value)
    {
        if (value.Length != 24)
        {
            throw new Cairn.Storage.CorruptionException($"Raft hard state is {value.Length} bytes, not 24.");
        }

        return new HardState(
            BinaryPrimitives.ReadUInt64LittleEndian(value),
            BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(8)),
            BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(16)));
    }

    public static byte[] EncodePair(ulong first, ulong second)
    {
        var value = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(value, first);
        BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(8), second);
        return value;
    }

    public static (ulong First, ulong Second) DecodePair(byte[] value)
    {
        if (value.Length != 16)
        {
            throw new Cairn.Storage.CorruptionException($"Raft compaction marker is {value.Length} bytes, not 16.");
        }

        return (BinaryPrimitives.ReadUInt64LittleEndian(value), BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(8)));
    }

    private static byte[] GroupKey(byte kind, ulong group)
    {
        var key = new byte[9];
        key[0] = kind;
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(1), group);
        return key;
    }
}

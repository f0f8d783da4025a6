using System.Buffers.Binary;

namespace Cairn.Raft.Storage;

/// <summary>
/// A snapshot file: a header (magic "RSNP", version, index, term, voter count, learner count, the ids), the state
/// machine's bytes, and a trailer (the data length, then a CRC32C of everything before the CRC). Little-endian.
/// The length sits in the trailer so a snapshot streams to disk in one pass.
/// </summary>
internal static class SnapshotFormat
{
    public const uint Magic = 0x504E5352; // "RSNP"
    public const uint Version = 1;
    public const int FixedHeaderSize = 32;
    public const int TrailerSize = 12;
    public const int MaxMembers = 1024;

    public static int HeaderSize(ConfState state) => FixedHeaderSize + (8 * (state.Voters.Count + state.Learners.Count));

    public static byte[] EncodeHeader(SnapshotMetadata snapshot)
    {
        var state = snapshot.ConfState;
        var bytes = new byte[HeaderSize(state)];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], snapshot.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], snapshot.Term);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)state.Voters.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], (uint)state.Learners.Count);
        var at = FixedHeaderSize;
        foreach (var id in state.Members)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[at..], id);
            at += 8;
        }

        return bytes;
    }

    /// <summary>How many header bytes follow the fixed part, or an error for a header that cannot be ours.</summary>
    public static bool TryReadFixedHeader(ReadOnlySpan<byte> fixedHeader, out int rest, out string? error)
    {
        rest = 0;
        if (BinaryPrimitives.ReadUInt32LittleEndian(fixedHeader) != Magic)
        {
            error = "bad magic";
            return false;
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(fixedHeader[4..]);
        if (version != Version)
        {
            error = $"unknown version {version}";
            return false;
        }

        var members = (long)BinaryPrimitives.ReadUInt32LittleEndian(fixedHeader[24..]) + BinaryPrimitives.ReadUInt32LittleEndian(fixedHeader[28..]);
        if (members > MaxMembers)
        {
            error = $"{members} members, more than {MaxMembers}";
            return false;
        }

        rest = (int)(members * 8);
        error = null;
        return true;
    }

    public static bool TryDecodeHeader(ReadOnlySpan<byte> header, out SnapshotMetadata snapshot, out string? error)
    {
        snapshot = SnapshotMetadata.Empty;
        var voters = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
        var learners = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[28..]);
        var ids = new ulong[voters + learners];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = BinaryPrimitives.ReadUInt64LittleEndian(header[(FixedHeaderSize + (8 * i))..]);
        }

        try
        {
            var state = new ConfState(ids.Take(voters), ids.Skip(voters));
            snapshot = new SnapshotMetadata(BinaryPrimitives.ReadUInt64LittleEndian(header[8..]), BinaryPrimitives.ReadUInt64LittleEndian(header[16..]), state);
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return false;
        }

        error = null;
        return true;
    }
}

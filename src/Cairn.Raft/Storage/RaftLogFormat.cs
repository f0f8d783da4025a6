using System.Buffers.Binary;
using Cairn.Core;

namespace Cairn.Raft.Storage;

/// <summary>
/// The on-disk encodings of <see cref="DurableRaftLog"/>. An entry frame is
/// <c>magic:u32 | length:u32 | crc:u32 | payload</c>, with payload <c>term:u64 | index:u64 | type:u8 | data</c>
/// and the CRC32C covering the length and the payload. Every append ends with a seal,
/// <c>magic:u32 | last-index:u64 | crc:u32</c> (the CRC32C covering the magic and the index), written in the same
/// write and made durable by the same fsync as the frames before it: bytes that fail to verify with a valid seal
/// after them were written in full, so they are corruption, never a torn tail (ADR 0017). The hard-state file is
/// <c>magic:u32 | version:u32 | term | vote | commit | compactedIndex | compactedTerm (u64 each) | crc:u32</c>.
/// Everything is little-endian.
/// </summary>
internal static class RaftLogFormat
{
    public const uint FrameMagic = 0x474F4C52; // "RLOG"
    public const int FrameHeaderSize = 12;
    public const int PayloadHeaderSize = 17;
    public const uint SealMagic = 0x4C455352; // "RSEL"
    public const int SealSize = 16;
    public const uint StateMagic = 0x54534652; // "RFST"
    public const uint StateVersion = 1;
    public const int StateSize = 8 + (5 * 8) + 4;

    public static long FrameSize(int dataLength) => FrameHeaderSize + PayloadHeaderSize + (long)dataLength;

    /// <summary>Writes one frame at the start of <paramref name="destination"/>; returns its size.</summary>
    public static int WriteFrame(Span<byte> destination, in Entry entry)
    {
        var payloadLength = PayloadHeaderSize + entry.Data.Length;
        var payload = destination.Slice(FrameHeaderSize, payloadLength);
        BinaryPrimitives.WriteUInt64LittleEndian(payload, entry.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], entry.Index);
        payload[16] = (byte)entry.Type;
        entry.Data.Span.CopyTo(payload[PayloadHeaderSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, FrameMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Crc32C.Append(Crc32C.Compute(destination.Slice(4, 4)), payload));
        return FrameHeaderSize + payloadLength;
    }

    /// <summary>
    /// Reads and verifies the frame at the start of <paramref name="source"/>. Fails (with a reason) on a bad magic,
    /// an impossible length, a frame cut short, a CRC mismatch or an unknown entry type.
    /// </summary>
    public static bool TryReadFrame(ReadOnlySpan<byte> source, int maxEntrySize, out Entry entry, out int frameSize, out string? error)
    {
        entry = default;
        frameSize = 0;
        if (source.Length < FrameHeaderSize)
        {
            error = "frame header cut short";
            return false;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != FrameMagic)
        {
            error = "bad frame magic";
            return false;
        }

        var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        if (payloadLength < PayloadHeaderSize || payloadLength > (ulong)maxEntrySize + PayloadHeaderSize)
        {
            error = $"impossible frame length {payloadLength}";
            return false;
        }

        if (source.Length - FrameHeaderSize < payloadLength)
        {
            error = "frame cut short";
            return false;
        }

        var payload = source.Slice(FrameHeaderSize, (int)payloadLength);
        var crc = Crc32C.Append(Crc32C.Compute(source.Slice(4, 4)), payload);
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(source[8..]))
        {
            error = "frame CRC mismatch";
            return false;
        }

        var type = payload[16];
        if (type > (byte)EntryType.ConfChange)
        {
            error = $"unknown entry type {type}";
            return false;
        }

        entry = new Entry(
            BinaryPrimitives.ReadUInt64LittleEndian(payload),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]),
            (EntryType)type,
            payload[PayloadHeaderSize..].ToArray());
        frameSize = FrameHeaderSize + (int)payloadLength;
        error = null;
        return true;
    }

    /// <summary>Writes a seal covering the entries up to <paramref name="lastIndex"/>; returns its size.</summary>
    public static int WriteSeal(Span<byte> destination, ulong lastIndex)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, SealMagic);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], lastIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], Crc32C.Compute(destination[..12]));
        return SealSize;
    }

    /// <summary>Reads and verifies the seal at the start of <paramref name="source"/>: its magic and its CRC.</summary>
    public static bool TryReadSeal(ReadOnlySpan<byte> source, out ulong lastIndex)
    {
        lastIndex = 0;
        if (source.Length < SealSize || BinaryPrimitives.ReadUInt32LittleEndian(source) != SealMagic
            || Crc32C.Compute(source[..12]) != BinaryPrimitives.ReadUInt32LittleEndian(source[12..]))
        {
            return false;
        }

        lastIndex = BinaryPrimitives.ReadUInt64LittleEndian(source[4..]);
        return true;
    }

    public static byte[] EncodeState(HardState state, ulong compactedIndex, ulong compactedTerm)
    {
        var bytes = new byte[StateSize];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, StateMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], StateVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], state.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], state.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], state.Commit);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], compactedIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(span[40..], compactedTerm);
        BinaryPrimitives.WriteUInt32LittleEndian(span[48..], Crc32C.Compute(span[..48]));
        return bytes;
    }

    public static bool TryDecodeState(ReadOnlySpan<byte> source, out HardState state, out ulong compactedIndex, out ulong compactedTerm, out string? error)
    {
        state = default;
        compactedIndex = 0;
        compactedTerm = 0;
        if (source.Length != StateSize)
        {
            error = $"hard state file is {source.Length} bytes, expected {StateSize}";
            return false;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != StateMagic)
        {
            error = "hard state file has a bad magic";
            return false;
        }

        if (Crc32C.Compute(source[..48]) != BinaryPrimitives.ReadUInt32LittleEndian(source[48..]))
        {
            error = "hard state file CRC mismatch";
            return false;
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        if (version != StateVersion)
        {
            error = $"hard state file has unknown version {version}";
            return false;
        }

        state = new HardState(
            BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[24..]));
        compactedIndex = BinaryPrimitives.ReadUInt64LittleEndian(source[32..]);
        compactedTerm = BinaryPrimitives.ReadUInt64LittleEndian(source[40..]);
        error = null;
        return true;
    }
}

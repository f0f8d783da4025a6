using System.Buffers.Binary;
using Cairn.Core;

namespace Cairn.Storage.LogStore;

/// <summary>
/// The byte layout of LogStore segments. A segment is a header followed by frames and seals; a frame is one atomic
/// write batch: a header, then its operations. A seal is written before every fsync of a segment, after the frames
/// that fsync makes durable: bytes that fail to verify with a valid seal after them were written in full, so they are
/// corruption, never a torn tail (ADR 0017).
/// </summary>
/// <remarks>
/// <code>
/// segment header  "CAIRNLOG" | u32 version | u32 segment id                                  (16 bytes)
/// frame header    u8 0xCA | u32 payload length | u32 op count | u64 first seq | u32 crc32c(of the 17 bytes before)
/// operation       u32 crc32c(of what follows) | u8 kind | u32 key length | u32 value length | key | value
/// seal            u8 0xC5 | u64 its own offset in the segment | u32 crc32c(of the 9 bytes before)          (13 bytes)
/// </code>
/// Version 2 added seals; version 1 segments (no seals) are still read.
/// All integers are little-endian. Operation <c>i</c> of a frame has sequence number <c>first seq + i</c>.
/// A frame is valid only when its header checksum holds and every operation's checksum holds, so a torn batch is
/// dropped whole. An operation's checksum covers its own bytes only, so a point read verifies just what it reads;
/// and it is computed before the write lock is taken, keeping the lock short.
/// </remarks>
internal static class RecordFormat
{
    public const int SegmentHeaderSize = 16;
    public const uint Version = 2;
    public const uint OldestReadableVersion = 1;
    public const byte FrameMagic = 0xCA;
    public const int FrameHeaderSize = 21;
    public const int OpHeaderSize = 13;
    public const byte KindPut = 1;
    public const byte KindDelete = 2;
    public const byte SealMagic = 0xC5;
    public const int SealSize = 13;

    private static ReadOnlySpan<byte> SegmentMagic => "CAIRNLOG"u8;

    /// <summary>The bytes an operation takes on disk.</summary>
    public static int OpSize(int keyLength, int valueLength) => OpHeaderSize + keyLength + valueLength;

    public static void WriteSegmentHeader(Span<byte> destination, uint segmentId)
    {
        SegmentMagic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], segmentId);
    }

    /// <summary>Checks a segment header; returns the segment id it names, or an error.</summary>
    public static bool TryReadSegmentHeader(ReadOnlySpan<byte> source, out uint segmentId, out string? error)
    {
        segmentId = 0;
        if (source.Length < SegmentHeaderSize || !source[..8].SequenceEqual(SegmentMagic))
        {
            error = "not a Cairn log segment (bad magic)";
            return false;
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        if (version is < OldestReadableVersion or > Version)
        {
            error = $"segment format version {version} is not supported (this build reads versions {OldestReadableVersion} to {Version})";
            return false;
        }

        segmentId = BinaryPrimitives.ReadUInt32LittleEndian(source[12..]);
        error = null;
        return true;
    }

    /// <summary>Writes a seal that sits at <paramref name="offset"/> in its segment.</summary>
    public static void WriteSeal(Span<byte> destination, long offset)
    {
        destination[0] = SealMagic;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], offset);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[9..], Crc32C.Compute(destination[..9]));
    }

    /// <summary>
    /// Whether a valid seal starts <paramref name="source"/>, which is at <paramref name="offset"/> in its segment. A
    /// seal names its own offset, so bytes inside a value that happen to look like one do not pass where they lie.
    /// </summary>
    public static bool IsSeal(ReadOnlySpan<byte> source, long offset) =>
        source.Length >= SealSize && source[0] == SealMagic
        && BinaryPrimitives.ReadInt64LittleEndian(source[1..]) == offset
        && BinaryPrimitives.ReadUInt32LittleEndian(source[9..]) == Crc32C.Compute(source[..9]);

    /// <summary>Encodes one operation, checksum included; <paramref name="value"/> is ignored for a delete.</summary>
    /// <returns>The bytes written.</returns>
    public static int WriteOp(Span<byte> destination, byte kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (kind == KindDelete)
        {
            value = default;
        }

        destination[4] = kind;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[5..], (uint)key.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[9..], (uint)value.Length);
        key.CopyTo(destination[OpHeaderSize..]);
        value.CopyTo(destination[(OpHeaderSize + key.Length)..]);
        var size = OpSize(key.Length, value.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Crc32C.Compute(destination[4..size]));
        return size;
    }

    /// <summary>Fills in a frame header for a payload that is already in place after it.</summary>
    public static void WriteFrameHeader(Span<byte> destination, int payloadLength, int opCount, ulong firstSeq)
    {
        destination[0] = FrameMagic;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[1..], (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[5..], (uint)opCount);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[9..], firstSeq);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[17..], Crc32C.Compute(destination[..17]));
    }

    /// <summary>Reads a frame header whose checksum holds.</summary>
    public static bool TryReadFrameHeader(ReadOnlySpan<byte> source, out int payloadLength, out int opCount, out ulong firstSeq)
    {
        payloadLength = 0;
        opCount = 0;
        firstSeq = 0;
        if (source.Length < FrameHeaderSize || source[0] != FrameMagic ||
            BinaryPrimitives.ReadUInt32LittleEndian(source[17..]) != Crc32C.Compute(source[..17]))
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(source[1..]);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(source[5..]);
        if (length > int.MaxValue || count == 0 || count > Limits.MaxBatchCount || (long)count * OpHeaderSize > length)
        {
            return false;
        }

        payloadLength = (int)length;
        opCount = (int)count;
        firstSeq = BinaryPrimitives.ReadUInt64LittleEndian(source[9..]);
        return true;
    }

    /// <summary>
    /// Parses and verifies the operation at the start of <paramref name="source"/>.
    /// </summary>
    /// <returns>False when the bytes are cut short, malformed or fail their checksum.</returns>
    public static bool TryReadOp(ReadOnlySpan<byte> source, out byte kind, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out int size)
    {
        kind = 0;
        key = default;
        value = default;
        size = 0;
        if (source.Length < OpHeaderSize)
        {
            return false;
        }

        var keyLength = BinaryPrimitives.ReadUInt32LittleEndian(source[5..]);
        var valueLength = BinaryPrimitives.ReadUInt32LittleEndian(source[9..]);
        if (keyLength > Limits.MaxKeySize || valueLength > int.MaxValue - OpHeaderSize - Limits.MaxKeySize ||
            OpHeaderSize + keyLength + valueLength > (ulong)source.Length)
        {
            return false;
        }

        var total = OpSize((int)keyLength, (int)valueLength);
        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != Crc32C.Compute(source[4..total]))
        {
            return false;
        }

        kind = source[4];
        if (kind is not (KindPut or KindDelete) || (kind == KindDelete && valueLength != 0))
        {
            return false;
        }

        key = source.Slice(OpHeaderSize, (int)keyLength);
        value = source.Slice(OpHeaderSize + (int)keyLength, (int)valueLength);
        size = total;
        return true;
    }
}

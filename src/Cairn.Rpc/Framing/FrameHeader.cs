using System.Buffers.Binary;

namespace Cairn.Rpc.Framing;

/// <summary>
/// The fixed 28-byte header in front of every frame (little-endian):
/// <code>
///  0  u16  magic 0x5243 ("CR")
///  2  u8   version (1)
///  3  u8   frame type
///  4  u16  flags (none defined yet; must be 0)
///  6  u16  reserved (must be 0)
///  8  u64  call or stream id (0 for connection-level frames)
/// 16  u32  message length: the protobuf envelope that follows the header
/// 20  u32  payload length: raw bytes after the message
/// 24  u32  CRC32C of header bytes 0..24, the message and the payload
/// </code>
/// The lengths are checked against the receiver's limits as soon as the header arrives, before any body is buffered.
/// </summary>
internal readonly record struct FrameHeader(FrameType Type, ulong Id, int MessageLength, int PayloadLength, uint Crc)
{
    public const int Size = 28;
    public const int ChecksummedPrefix = 24;
    public const ushort Magic = 0x5243;
    public const byte Version = 1;

    /// <summary>The whole frame's length on the wire.</summary>
    public long FrameLength => Size + (long)MessageLength + PayloadLength;

    /// <summary>Writes the first 24 bytes (everything but the CRC).</summary>
    public static void WritePrefix(Span<byte> destination, FrameType type, ulong id, int messageLength, int payloadLength)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, Magic);
        destination[2] = Version;
        destination[3] = (byte)type;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], id);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], (uint)messageLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], (uint)payloadLength);
    }

    /// <summary>Parses and validates a header; throws <see cref="FrameFormatException"/> with the reason when it is not one.</summary>
    public static FrameHeader Parse(ReadOnlySpan<byte> source, int maxMessageBytes, int maxPayloadBytes)
    {
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(source);
        if (magic != Magic)
        {
            throw new FrameFormatException($"bad frame magic 0x{magic:x4} (expected 0x{Magic:x4}): not a Cairn RPC peer, or the stream is out of step");
        }

        if (source[2] != Version)
        {
            throw new FrameFormatException($"unsupported frame version {source[2]} (this node speaks {Version})");
        }

        var type = (FrameType)source[3];
        if (!Enum.IsDefined(type))
        {
            throw new FrameFormatException($"unknown frame type {source[3]}");
        }

        var flags = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        var reserved = BinaryPrimitives.ReadUInt16LittleEndian(source[6..]);
        if (flags != 0 || reserved != 0)
        {
            throw new FrameFormatException($"frame flags 0x{flags:x4} / reserved 0x{reserved:x4} must be zero in version {Version}");
        }

        var id = BinaryPrimitives.ReadUInt64LittleEndian(source[8..]);
        var messageLength = BinaryPrimitives.ReadUInt32LittleEndian(source[16..]);
        var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(source[20..]);
        if (messageLength > (uint)maxMessageBytes)
        {
            throw new FrameFormatException($"{type} frame message is {messageLength} bytes; the limit is {maxMessageBytes} bytes");
        }

        if (payloadLength > (uint)maxPayloadBytes)
        {
            throw new FrameFormatException($"{type} frame payload is {payloadLength} bytes; the limit is {maxPayloadBytes} bytes");
        }

        var crc = BinaryPrimitives.ReadUInt32LittleEndian(source[24..]);
        return new FrameHeader(type, id, (int)messageLength, (int)payloadLength, crc);
    }
}

using System.Buffers;
using Cairn.Core;

namespace Cairn.Rpc.Framing;

/// <summary>Cuts whole frames out of received bytes, validating each: limits, then checksum.</summary>
internal sealed class FrameDecoder(int maxMessageBytes, int maxPayloadBytes)
{
    public int MaxMessageBytes { get; } = maxMessageBytes;

    public int MaxPayloadBytes { get; } = maxPayloadBytes;

    /// <summary>
    /// Takes one frame off the front of <paramref name="buffer"/> if it is all there. The header is validated as soon
    /// as its 28 bytes have arrived, so an absurd length is refused before the receiver waits for (or buffers) it.
    /// </summary>
    /// <exception cref="FrameFormatException">The bytes are not a valid frame.</exception>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out IncomingFrame? frame)
    {
        frame = null;
        if (buffer.Length < FrameHeader.Size)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[FrameHeader.Size];
        buffer.Slice(0, FrameHeader.Size).CopyTo(head);
        var header = FrameHeader.Parse(head, MaxMessageBytes, MaxPayloadBytes);
        if (buffer.Length < header.FrameLength)
        {
            return false;
        }

        var message = header.MessageLength == 0 ? [] : new byte[header.MessageLength];
        var payload = header.PayloadLength == 0 ? [] : GC.AllocateUninitializedArray<byte>(header.PayloadLength);
        buffer.Slice(FrameHeader.Size, header.MessageLength).CopyTo(message);
        buffer.Slice(FrameHeader.Size + header.MessageLength, header.PayloadLength).CopyTo(payload);

        var crc = Crc32C.Compute(head[..FrameHeader.ChecksummedPrefix]);
        crc = Crc32C.Append(crc, message);
        crc = Crc32C.Append(crc, payload);
        if (crc != header.Crc)
        {
            throw new FrameFormatException($"{header.Type} frame {header.Id} fails its checksum (CRC32C 0x{crc:x8}, header says 0x{header.Crc:x8}): corrupted in transit or not a Cairn RPC peer");
        }

        buffer = buffer.Slice(header.FrameLength);
        frame = new IncomingFrame(header, message, payload);
        return true;
    }
}

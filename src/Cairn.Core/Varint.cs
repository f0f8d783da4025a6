namespace Cairn.Core;

/// <summary>
/// Unsigned LEB128 variable-length integers, the same encoding as protobuf and Go's <c>encoding/binary</c>
/// uvarint: seven bits a byte, low bits first, the high bit set on every byte but the last.
/// </summary>
public static class Varint
{
    /// <summary>The most bytes a 64-bit varint takes.</summary>
    public const int MaxLength = 10;

    /// <summary>How many bytes <paramref name="value"/> takes when encoded.</summary>
    public static int SizeOf(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    /// <summary>Writes <paramref name="value"/> to the start of <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">The destination is too small.</exception>
    public static int Write(Span<byte> destination, ulong value)
    {
        if (destination.Length < SizeOf(value))
        {
            throw new ArgumentException($"A varint of {SizeOf(value)} bytes does not fit in {destination.Length} bytes.", nameof(destination));
        }

        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>
    /// Reads a varint from the start of <paramref name="source"/>. Returns false, consuming nothing, when the
    /// bytes end before the varint does or the varint overflows 64 bits.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int bytesRead)
    {
        value = 0;
        var shift = 0;
        for (var i = 0; i < source.Length && i < MaxLength; i++)
        {
            var b = source[i];
            if (i == MaxLength - 1 && b > 1)
            {
                break; // more than 64 bits
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                bytesRead = i + 1;
                return true;
            }

            shift += 7;
        }

        value = 0;
        bytesRead = 0;
        return false;
    }
}

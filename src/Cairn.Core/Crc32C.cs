using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Cairn.Core;

/// <summary>
/// CRC32C (Castagnoli), the checksum on every record Cairn writes. Uses the processor's CRC32 instructions through
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> (SSE4.2 on x64, CRC on Arm64), which fall back to software.
/// </summary>
public static class Crc32C
{
    /// <summary>Computes the CRC32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Extends <paramref name="crc"/>, the CRC32C of earlier bytes, with <paramref name="data"/>:
    /// <c>Append(Compute(a), b) == Compute(a ++ b)</c>.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        var longs = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var word in longs)
        {
            state = BitOperations.Crc32C(state, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
        }

        foreach (var b in data[(longs.Length * sizeof(ulong))..])
        {
            state = BitOperations.Crc32C(state, b);
        }

        return ~state;
    }
}

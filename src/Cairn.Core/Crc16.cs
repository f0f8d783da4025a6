namespace Cairn.Core;

/// <summary>
/// CRC16-XMODEM (polynomial 0x1021, initial value 0, no reflection, no final XOR): the checksum Redis Cluster
/// uses to map keys to hash slots.
/// </summary>
public static class Crc16
{
    private static readonly ushort[] Table = BuildTable();

    /// <summary>Computes the CRC16-XMODEM of <paramref name="data"/>.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (var b in data)
        {
            crc = (ushort)((crc << 8) ^ Table[((crc >> 8) ^ b) & 0xFF]);
        }

        return crc;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (var i = 0; i < 256; i++)
        {
            var crc = (ushort)(i << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }

            table[i] = crc;
        }

        return table;
    }
}

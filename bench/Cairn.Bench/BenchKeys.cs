namespace Cairn.Bench;

/// <summary>
/// Benchmark keys that go-ds-flatfs accepts, so FlatFs stores them in its native layout (<c>{shard}/{KEY}.data</c>)
/// as it would IPFS blocks: <c>/CIQ</c> (the start of every base32 CIDv0 block key) then upper-case base32 text.
/// Keys are written into a caller's buffer, so generating one allocates nothing.
/// </summary>
internal static class BenchKeys
{
    /// <summary>Every key is this long: 16 bytes, like the keys of the restart target.</summary>
    public const int KeyLength = 16;

    /// <summary>How many of the 256 scan prefixes there are.</summary>
    public const int PrefixCount = 256;

    private const int PlainDigits = KeyLength - 4; // after "/CIQ": 12 base32 digits, 60 bits
    private const int PrefixedDigits = KeyLength - 6; // after "/CIQ" and two hex digits: 10 base32 digits, 50 bits
    private const ulong Multiplier = 0x9E3779B97F4A7C15UL; // odd, so multiplying is a bijection modulo 2^n

    private static ReadOnlySpan<byte> Base32 => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"u8;

    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    /// <summary>
    /// Writes the key of <paramref name="n"/> (below 2^60) into <paramref name="key"/>. Distinct numbers give distinct
    /// keys; the number is scrambled first so consecutive keys land in different FlatFs shards, as hashes do.
    /// </summary>
    public static void Write(ulong n, Span<byte> key)
    {
        "/CIQ"u8.CopyTo(key);
        WriteBase32(Scramble(n, PlainDigits * 5), key.Slice(4, PlainDigits));
    }

    /// <summary>
    /// Writes the key of <paramref name="n"/> (below 2^50) under scan prefix <paramref name="prefix"/> (0 to 255)
    /// into <paramref name="key"/>: <c>/CIQ</c>, the prefix as two hex digits, then base32 digits.
    /// </summary>
    public static void WritePrefixed(int prefix, ulong n, Span<byte> key)
    {
        "/CIQ"u8.CopyTo(key);
        key[4] = Hex[(prefix >> 4) & 0xF];
        key[5] = Hex[prefix & 0xF];
        WriteBase32(Scramble(n, PrefixedDigits * 5), key.Slice(6, PrefixedDigits));
    }

    /// <summary>The bytes every key under scan prefix <paramref name="prefix"/> starts with.</summary>
    public static byte[] Prefix(int prefix)
    {
        var bytes = new byte[6];
        "/CIQ"u8.CopyTo(bytes);
        bytes[4] = Hex[(prefix >> 4) & 0xF];
        bytes[5] = Hex[prefix & 0xF];
        return bytes;
    }

    /// <summary>A key buffer of the right length.</summary>
    public static byte[] NewBuffer() => new byte[KeyLength];

    private static ulong Scramble(ulong n, int bits)
    {
        var mask = (1UL << bits) - 1;
        return (n * Multiplier) & mask;
    }

    private static void WriteBase32(ulong value, Span<byte> digits)
    {
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            digits[i] = Base32[(int)(value & 31)];
            value >>= 5;
        }
    }
}

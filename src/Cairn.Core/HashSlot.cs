namespace Cairn.Core;

/// <summary>
/// Maps keys to one of <see cref="Count"/> hash slots exactly as Redis Cluster does, so that cluster-aware Redis
/// clients route requests to Cairn by themselves.
/// </summary>
public static class HashSlot
{
    /// <summary>The number of hash slots in a cluster.</summary>
    public const int Count = 16384;

    /// <summary>
    /// The slot of <paramref name="key"/>: CRC16-XMODEM of the key, or of its hash tag (the bytes between the
    /// first <c>{</c> and the first <c>}</c> after it) when that tag is non-empty, modulo <see cref="Count"/>.
    /// </summary>
    public static int Of(ReadOnlySpan<byte> key) => Crc16.Compute(HashTag(key)) & (Count - 1);

    /// <summary>The slot of a UTF-8 encoded string key.</summary>
    public static int Of(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(key.Length);
        var buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var length = System.Text.Encoding.UTF8.GetBytes(key, buffer);
        return Of(buffer[..length]);
    }

    /// <summary>
    /// The part of <paramref name="key"/> that is hashed: the content of the first <c>{…}</c> when it is
    /// non-empty, otherwise the whole key. <c>foo{}{bar}</c> hashes whole; <c>foo{{bar}}</c> hashes <c>{bar</c>.
    /// </summary>
    public static ReadOnlySpan<byte> HashTag(ReadOnlySpan<byte> key)
    {
        var open = key.IndexOf((byte)'{');
        if (open < 0)
        {
            return key;
        }

        var close = key[(open + 1)..].IndexOf((byte)'}');
        if (close <= 0)
        {
            // No closing brace, or an empty tag: Redis hashes the whole key.
            return key;
        }

        return key.Slice(open + 1, close);
    }
}

using System.Buffers.Binary;

namespace Cairn.Kv.Keyspace;

/// <summary>
/// How a string value is stored in the engine: one flags byte, the expiry time (Unix milliseconds, big-endian)
/// when the value has one, then the bytes the client set.
/// </summary>
internal static class StoredValue
{
    public const byte HasExpiry = 1;
    public const int MaxHeader = 9;

    public static int HeaderSize(long expireAt) => expireAt > 0 ? 9 : 1;

    public static int Write(Span<byte> destination, ReadOnlySpan<byte> payload, long expireAt)
    {
        var header = HeaderSize(expireAt);
        destination[0] = expireAt > 0 ? HasExpiry : (byte)0;
        if (expireAt > 0)
        {
            BinaryPrimitives.WriteInt64BigEndian(destination[1..], expireAt);
        }

        payload.CopyTo(destination[header..]);
        return header + payload.Length;
    }

    /// <summary>Splits a stored value into its expiry (0 for none) and payload.</summary>
    public static bool TryRead(ReadOnlySpan<byte> stored, out long expireAt, out ReadOnlySpan<byte> payload)
    {
        expireAt = 0;
        payload = default;
        if (stored.IsEmpty || (stored[0] & ~HasExpiry) != 0)
        {
            return false;
        }

        var header = 1;
        if ((stored[0] & HasExpiry) != 0)
        {
            if (stored.Length < 9)
            {
                return false;
            }

            expireAt = BinaryPrimitives.ReadInt64BigEndian(stored[1..]);
            header = 9;
        }

        payload = stored[header..];
        return true;
    }
}

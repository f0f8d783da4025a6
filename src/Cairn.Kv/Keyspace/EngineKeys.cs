using System.Buffers.Binary;

namespace Cairn.Kv.Keyspace;

/// <summary>
/// Where the keyspace keeps things in the engine: user keys under one prefix byte, and an expiry index, ordered by
/// time, under another, so the active expiry sweep is an ordered scan of what is due; in a cluster, a shard group's
/// slot hand-over records under a third.
/// </summary>
internal static class EngineKeys
{
    public const byte Data = 0x01;
    public const byte Expiry = 0x02;

    /// <summary>Slot hand-over records of a cluster shard group (ADR 0026): the prefix, then the slot (2 bytes, big-endian).</summary>
    public const byte Handover = 0x03;
    public const int ExpiryHeader = 9;

    public static int DataKey(Span<byte> destination, ReadOnlySpan<byte> key)
    {
        destination[0] = Data;
        key.CopyTo(destination[1..]);
        return key.Length + 1;
    }

    public static int ExpiryKey(Span<byte> destination, long expireAt, ReadOnlySpan<byte> key)
    {
        destination[0] = Expiry;
        BinaryPrimitives.WriteInt64BigEndian(destination[1..], expireAt);
        key.CopyTo(destination[ExpiryHeader..]);
        return key.Length + ExpiryHeader;
    }

    public static byte[] ExpiryKey(long expireAt, ReadOnlySpan<byte> key)
    {
        var bytes = new byte[key.Length + ExpiryHeader];
        ExpiryKey(bytes, expireAt, key);
        return bytes;
    }

    public static byte[] HandoverKey(int slot) => [Handover, (byte)(slot >> 8), (byte)slot];

    public static byte[] DataKey(ReadOnlySpan<byte> key)
    {
        var bytes = new byte[key.Length + 1];
        DataKey(bytes, key);
        return bytes;
    }
}

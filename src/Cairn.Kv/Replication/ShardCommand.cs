using Cairn.Core;
using Cairn.Storage;

namespace Cairn.Kv.Replication;

/// <summary>
/// What a shard group's log carries: the engine writes one command made, already evaluated by the leader (puts and
/// deletes of engine keys, applied atomically). Every operation is a blind write, so applying a command twice, or
/// over a state that already holds later writes, ends in the same state: that is what lets a replica replay its
/// log over a store it did not fsync, and install a snapshot read while writes went on (see ADR 0020).
/// </summary>
/// <remarks>
/// Format: a version byte, the operation count (varint), then per operation a kind byte (1 put, 2 delete), the key
/// length (varint) and key, and for a put the value length (varint) and value.
/// </remarks>
internal static class ShardCommand
{
    private const byte Version = 1;
    private const byte PutKind = 1;
    private const byte DeleteKind = 2;

    /// <summary>Encodes one put.</summary>
    public static byte[] Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var size = 2 + 1 + Varint.SizeOf((ulong)key.Length) + key.Length + Varint.SizeOf((ulong)value.Length) + value.Length;
        var bytes = new byte[size];
        var at = WriteHeader(bytes, 1);
        at = WriteOperation(bytes, at, key, value, isDelete: false);
        return at == size ? bytes : bytes[..at];
    }

    /// <summary>Encodes one delete.</summary>
    public static byte[] Delete(ReadOnlySpan<byte> key)
    {
        var bytes = new byte[2 + 1 + Varint.SizeOf((ulong)key.Length) + key.Length];
        var at = WriteHeader(bytes, 1);
        WriteOperation(bytes, at, key, default, isDelete: true);
        return bytes;
    }

    /// <summary>Encodes a batch.</summary>
    public static byte[] Batch(WriteBatch batch)
    {
        var size = 1 + Varint.SizeOf((ulong)batch.Count);
        foreach (var operation in batch.Operations)
        {
            size += 1 + Varint.SizeOf((ulong)operation.Key.Length) + operation.Key.Length;
            if (operation.Value is { } value)
            {
                size += Varint.SizeOf((ulong)value.Length) + value.Length;
            }
        }

        var bytes = new byte[size];
        var at = 1 + Varint.Write(bytes.AsSpan(1), (ulong)batch.Count);
        bytes[0] = Version;
        foreach (var operation in batch.Operations)
        {
            at = WriteOperation(bytes, at, operation.Key, operation.Value, operation.IsDelete);
        }

        return bytes;
    }

    /// <summary>Decodes a command into the batch it applies.</summary>
    /// <exception cref="FormatException">The bytes are not a shard command.</exception>
    public static WriteBatch Decode(ReadOnlySpan<byte> command)
    {
        if (command.IsEmpty || command[0] != Version)
        {
            throw new FormatException($"A shard command starts with version {Version}; this one has {(command.IsEmpty ? "no bytes" : command[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}.");
        }

        var at = 1;
        var count = ReadLength(command, ref at);
        var batch = new WriteBatch();
        for (var i = 0; i < count; i++)
        {
            if (at >= command.Length)
            {
                throw new FormatException("A shard command ends inside an operation.");
            }

            var kind = command[at++];
            var keyLength = ReadLength(command, ref at);
            var key = Slice(command, ref at, keyLength);
            switch (kind)
            {
                case PutKind:
                    var valueLength = ReadLength(command, ref at);
                    batch.Put(key, Slice(command, ref at, valueLength));
                    break;
                case DeleteKind:
                    batch.Delete(key);
                    break;
                default:
                    throw new FormatException($"Unknown shard operation kind {kind}.");
            }
        }

        if (at != command.Length)
        {
            throw new FormatException($"A shard command has {command.Length - at} bytes after its last operation.");
        }

        return batch;
    }

    private static int WriteHeader(Span<byte> bytes, int count)
    {
        bytes[0] = Version;
        return 1 + Varint.Write(bytes[1..], (ulong)count);
    }

    private static int WriteOperation(Span<byte> bytes, int at, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool isDelete)
    {
        bytes[at++] = isDelete ? DeleteKind : PutKind;
        at += Varint.Write(bytes[at..], (ulong)key.Length);
        key.CopyTo(bytes[at..]);
        at += key.Length;
        if (!isDelete)
        {
            at += Varint.Write(bytes[at..], (ulong)value.Length);
            value.CopyTo(bytes[at..]);
            at += value.Length;
        }

        return at;
    }

    private static int ReadLength(ReadOnlySpan<byte> command, ref int at)
    {
        if (!Varint.TryRead(command[at..], out var value, out var used) || value > int.MaxValue)
        {
            throw new FormatException("A shard command holds a malformed length.");
        }

        at += used;
        return (int)value;
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> command, ref int at, int length)
    {
        if (length > command.Length - at)
        {
            throw new FormatException("A shard command ends inside a key or value.");
        }

        var slice = command.Slice(at, length);
        at += length;
        return slice;
    }
}

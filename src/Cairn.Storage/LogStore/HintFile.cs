using System.Buffers.Binary;
using Cairn.Core;
using Cairn.Storage.IO;

namespace Cairn.Storage.LogStore;

/// <summary>
/// A segment's table of contents: every operation's kind, sequence number, offset, value length and key, but no
/// values, so a restart rebuilds the index without reading the data. Written once, when a segment closes.
/// </summary>
/// <remarks>
/// <code>"CAIRNHNT" | u32 version | u32 segment id | entries… | u64 count | u32 crc32c(of everything before)</code>
/// An entry is <c>u8 kind | u64 seq | u32 offset | u32 value length | varint key length | key</c>.
/// A hint that fails its checksum is ignored and the segment is scanned instead.
/// </remarks>
internal static class HintFile
{
    private const int HeaderSize = 16;

    // The hint format's own version: it did not change when segments gained seals (segment version 2).
    private const uint Version = 1;
    private const int FooterSize = 12;

    private static ReadOnlySpan<byte> Magic => "CAIRNHNT"u8;

    /// <summary>Writes the hint of <paramref name="segmentId"/> atomically: temp file, fsync, rename, directory fsync.</summary>
    public static void Write(IFileSystem fs, string directory, uint segmentId, IReadOnlyList<HintEntry> entries)
    {
        long size = HeaderSize + FooterSize;
        foreach (var entry in entries)
        {
            size += 17 + Varint.SizeOf((ulong)entry.Key.Length) + entry.Key.Length;
        }

        var buffer = new byte[size];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], segmentId);
        var at = HeaderSize;
        foreach (var entry in entries)
        {
            span[at] = entry.Kind;
            BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 1)..], entry.Seq);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 9)..], entry.Offset);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 13)..], entry.ValueLength);
            at += 17;
            at += Varint.Write(span[at..], (ulong)entry.Key.Length);
            entry.Key.CopyTo(span[at..]);
            at += entry.Key.Length;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(span[at..], (ulong)entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 8)..], Crc32C.Compute(span[..(at + 8)]));

        fs.ReplaceAtomically(Path.Combine(directory, Segment.HintFileName(segmentId)), buffer);
    }

    /// <summary>Reads a hint file; null when it is missing, cut short or fails its checksum.</summary>
    public static List<HintEntry>? TryRead(IFileSystem fs, string path, uint segmentId, out long bytesRead)
    {
        bytesRead = 0;
        if (!fs.FileExists(path))
        {
            return null; // not written yet (it is written in the background) or lost
        }

        byte[] buffer;
        using (var file = fs.Open(path, create: false))
        {
            var length = file.Length;
            if (length < HeaderSize + FooterSize || length > Array.MaxLength)
            {
                return null;
            }

            buffer = GC.AllocateUninitializedArray<byte>((int)length);
            if (file.Read(0, buffer) != length)
            {
                return null;
            }
        }

        bytesRead = buffer.Length;
        var span = buffer.AsSpan();
        var body = span.Length - FooterSize;
        if (!span[..8].SequenceEqual(Magic) ||
            BinaryPrimitives.ReadUInt32LittleEndian(span[8..]) != Version ||
            BinaryPrimitives.ReadUInt32LittleEndian(span[12..]) != segmentId ||
            BinaryPrimitives.ReadUInt32LittleEndian(span[(body + 8)..]) != Crc32C.Compute(span[..(body + 8)]))
        {
            return null;
        }

        var count = BinaryPrimitives.ReadUInt64LittleEndian(span[body..]);
        if (count > (ulong)body / 18)
        {
            return null;
        }

        var entries = new List<HintEntry>((int)count);
        var at = HeaderSize;
        for (ulong i = 0; i < count; i++)
        {
            if (at + 17 > body)
            {
                return null;
            }

            var kind = span[at];
            var seq = BinaryPrimitives.ReadUInt64LittleEndian(span[(at + 1)..]);
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 9)..]);
            var valueLength = BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 13)..]);
            at += 17;
            if (!Varint.TryRead(span[at..body], out var keyLength, out var used) || keyLength > (ulong)(body - at - used))
            {
                return null;
            }

            at += used;
            entries.Add(new HintEntry(kind, seq, offset, valueLength, span.Slice(at, (int)keyLength).ToArray()));
            at += (int)keyLength;
        }

        return at == body ? entries : null;
    }
}

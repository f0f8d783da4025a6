using Cairn.Storage.IO;

namespace Cairn.Storage.LogStore;

/// <summary>
/// Reads a segment that has no usable hint file, verifying every frame. A bad frame followed by a valid frame or seal
/// is corruption: it is reported and stepped over (a seal after it shows it was written in full, and perhaps synced
/// and acknowledged). A bad frame with nothing valid after it is a torn tail, left by a crash mid-write: the caller
/// cuts it off.
/// </summary>
internal static class SegmentScanner
{
    /// <summary>What a scan found.</summary>
    /// <param name="Entries">Every operation of every valid frame, in file order.</param>
    /// <param name="ValidLength">Where the last valid frame ends; bytes past it are a torn tail.</param>
    /// <param name="CorruptRegions">Runs of bad bytes stepped over between valid frames.</param>
    /// <param name="HeaderError">Set when the segment header itself is unreadable.</param>
    /// <param name="Sealed">Whether a seal (or the header alone) ends the valid bytes: no frame there lacks a seal after it.</param>
    public sealed record Result(List<HintEntry> Entries, long ValidLength, int CorruptRegions, string? HeaderError, bool Sealed = true);

    public static Result Scan(IStorageFile file, uint expectedId)
    {
        var length = file.Length;
        if (length > Array.MaxLength)
        {
            return new Result([], 0, 0, $"segment is {length} bytes, larger than this build can scan");
        }

        var data = GC.AllocateUninitializedArray<byte>((int)length);
        var read = file.Read(0, data);
        var span = data.AsSpan(0, read);
        if (!RecordFormat.TryReadSegmentHeader(span, out var id, out var error) || id != expectedId)
        {
            return new Result([], 0, 0, error ?? $"segment header names segment {id}, file name says {expectedId}");
        }

        var entries = new List<HintEntry>();
        var position = RecordFormat.SegmentHeaderSize;
        var validEnd = position;
        var corruptRegions = 0;
        var sealedEnd = position;
        while (position < span.Length)
        {
            if (TryReadFrame(span, position, entries, out var frameEnd))
            {
                position = frameEnd;
                validEnd = frameEnd;
                continue;
            }

            if (RecordFormat.IsSeal(span[position..], position))
            {
                position += RecordFormat.SealSize;
                validEnd = sealedEnd = position;
                continue;
            }

            // Look for the next valid frame or seal; if there is one, the bytes between are corruption, not a torn tail.
            var next = FindNextRecord(span, position + 1);
            if (next < 0)
            {
                break;
            }

            corruptRegions++;
            position = next;
        }

        return new Result(entries, validEnd, corruptRegions, null, sealedEnd == validEnd);
    }

    private static bool TryReadFrame(ReadOnlySpan<byte> data, int position, List<HintEntry>? into, out int frameEnd)
    {
        frameEnd = 0;
        if (!RecordFormat.TryReadFrameHeader(data[position..], out var payloadLength, out var opCount, out var firstSeq) ||
            (long)position + RecordFormat.FrameHeaderSize + payloadLength > data.Length)
        {
            return false;
        }

        var start = position + RecordFormat.FrameHeaderSize;
        var payload = data.Slice(start, payloadLength);
        var mark = into?.Count ?? 0;
        var at = 0;
        for (var i = 0; i < opCount; i++)
        {
            if (!RecordFormat.TryReadOp(payload[at..], out var kind, out var key, out var value, out var size))
            {
                into?.RemoveRange(mark, into.Count - mark); // the frame is all or nothing
                return false;
            }

            into?.Add(new HintEntry(kind, firstSeq + (ulong)i, (uint)(start + at), (uint)value.Length, key.ToArray()));
            at += size;
        }

        if (at != payloadLength)
        {
            into?.RemoveRange(mark, into.Count - mark);
            return false;
        }

        frameEnd = start + payloadLength;
        return true;
    }

    private static int FindNextRecord(ReadOnlySpan<byte> data, int from)
    {
        for (var position = from; position + RecordFormat.SealSize <= data.Length; position++)
        {
            var found = data[position..].IndexOfAny(RecordFormat.FrameMagic, RecordFormat.SealMagic);
            if (found < 0)
            {
                return -1;
            }

            position += found;
            if (RecordFormat.IsSeal(data[position..], position) || TryReadFrame(data, position, null, out _))
            {
                return position;
            }
        }

        return -1;
    }
}

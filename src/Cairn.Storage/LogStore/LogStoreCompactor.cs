using System.Buffers;
using Cairn.Storage.IO;

namespace Cairn.Storage.LogStore;

/// <summary>
/// Rewrites closed segments that are mostly garbage: copies each record the index still points at into a new
/// segment (keeping its sequence number), writes that segment's hint, swaps the index entries that did not change
/// meanwhile, and deletes the old files. Reads and writes continue throughout.
/// </summary>
/// <remarks>
/// A tombstone is copied only while it still matters: its key is absent and some segment other than its own
/// may hold an older put of the key. A crash at any step leaves either the old segments or both; duplicates carry equal
/// sequence numbers, so recovery picks the same value from either.
/// </remarks>
internal sealed class LogStoreCompactor(LogStore store)
{
    private const int WriteBufferSize = 1 << 20;
    private const int MaxOpsPerFrame = 4096;

    public CompactionResult Run(double minGarbageRatio)
    {
        var closed = store.ClosedSegments().Where(s => !s.HasCorruption).ToList();
        var candidates = closed.Where(s => s.GarbageRatio >= minGarbageRatio).ToList();

        // Small segments (left by restarts) are merged even without garbage, so their count stays bounded.
        var small = closed.Where(s => s.Length < store.Options.SegmentSize / 8 && !candidates.Contains(s)).ToList();
        if (small.Count >= 2)
        {
            candidates.AddRange(small);
        }

        candidates.Sort((a, b) => a.Id.CompareTo(b.Id));
        int compacted = 0;
        long before = 0, after = 0;
        var group = new List<Segment>();
        long groupLive = 0;
        foreach (var segment in candidates)
        {
            if (group.Count > 0 && groupLive + segment.LiveBytes > store.Options.SegmentSize)
            {
                Accumulate(CompactGroup(group));
                group = [];
                groupLive = 0;
            }

            group.Add(segment);
            groupLive += segment.LiveBytes;
        }

        if (group.Count > 0)
        {
            Accumulate(CompactGroup(group));
        }

        return new CompactionResult(compacted, before, after);

        void Accumulate(CompactionResult result)
        {
            compacted += result.SegmentsCompacted;
            before += result.BytesBefore;
            after += result.BytesAfter;
        }
    }

    private CompactionResult CompactGroup(List<Segment> group)
    {
        var fs = store.FileSystem;
        var output = store.CreateCompactionSegment();
        var moves = new List<(byte[] Key, Location From, Location To)>();
        var hints = new List<HintEntry>();
        var buffer = ArrayPool<byte>.Shared.Rent(WriteBufferSize);
        var buffered = 0;

        // Records with consecutive sequence numbers (a batch's survivors) share a frame again, so compacting a
        // store with no garbage does not grow it by a frame header a record.
        var frameStart = -1;
        int frameOps = 0, framePayload = 0;
        ulong frameFirstSeq = 0;
        try
        {
            foreach (var segment in group)
            {
                // A tombstone may be dropped only if no other segment, in this group or not, holds older records:
                // if deleting the group is cut short, a surviving older put must still meet its tombstone.
                var minOtherSeq = store.MinSeqExcept([segment]);
                var entries = HintFile.TryRead(fs, Path.Combine(store.Directory, Segment.HintFileName(segment.Id)), segment.Id, out _)
                    ?? SegmentScanner.Scan(segment.File, segment.Id).Entries;
                foreach (var entry in entries)
                {
                    if (!ShouldCopy(segment, entry, minOtherSeq, out var from))
                    {
                        continue;
                    }

                    var opSize = RecordFormat.OpSize(entry.Key.Length, (int)entry.ValueLength);
                    var joins = frameStart >= 0 && entry.Seq == frameFirstSeq + (ulong)frameOps && frameOps < MaxOpsPerFrame;
                    // The buffer always keeps room for the seal that ends each write.
                    if (!joins || buffered + opSize + RecordFormat.SealSize > buffer.Length)
                    {
                        CloseFrame();
                        if (buffered + RecordFormat.FrameHeaderSize + opSize + RecordFormat.SealSize > buffer.Length)
                        {
                            Flush();
                            if (RecordFormat.FrameHeaderSize + opSize + RecordFormat.SealSize > buffer.Length)
                            {
                                ArrayPool<byte>.Shared.Return(buffer);
                                buffer = ArrayPool<byte>.Shared.Rent(RecordFormat.FrameHeaderSize + opSize + RecordFormat.SealSize);
                            }
                        }

                        frameStart = buffered;
                        frameFirstSeq = entry.Seq;
                        buffered += RecordFormat.FrameHeaderSize;
                    }

                    var op = buffer.AsSpan(buffered, opSize);
                    if (segment.File.Read(entry.Offset, op) != opSize || !RecordFormat.TryReadOp(op, out _, out _, out _, out _))
                    {
                        // Keep the damaged segment as it is for the operator; its good records stay readable.
                        segment.HasCorruption = true;
                        store.CountCorruption();
                        store.DiscardSegment(output);
                        return new CompactionResult(0, 0, 0);
                    }

                    var offset = (uint)(output.Length + buffered);
                    buffered += opSize;
                    frameOps++;
                    framePayload += opSize;
                    hints.Add(entry with { Offset = offset });
                    output.MinSeq = Math.Min(output.MinSeq, entry.Seq);
                    if (entry.Kind == RecordFormat.KindPut)
                    {
                        moves.Add((entry.Key, from, new Location(output, offset, entry.ValueLength)));
                    }
                }
            }

            CloseFrame();
            Flush();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        long before = group.Sum(s => s.Length);
        if (hints.Count == 0)
        {
            store.DiscardSegment(output);
            store.SwapSegments(null, group);
            return new CompactionResult(group.Count, before, 0);
        }

        output.File.Sync();
        output.IsClosed = true;
        output.PendingHints = null;
        HintFile.Write(fs, store.Directory, output.Id, hints);
        lock (store.IndexLock)
        {
            foreach (var (key, from, to) in moves)
            {
                // Only entries nobody changed meanwhile move; the others are already garbage in the output.
                if (store.Index.Replace(key, from, to, EqualityComparer<Location>.Default))
                {
                    var size = from.OpSize(key.Length);
                    from.Segment.LiveBytes -= size;
                    to.Segment.LiveBytes += size;
                }
            }
        }

        store.SwapSegments(output, group);
        return new CompactionResult(group.Count, before, output.Length);

        void CloseFrame()
        {
            if (frameStart >= 0)
            {
                RecordFormat.WriteFrameHeader(buffer.AsSpan(frameStart), framePayload, frameOps, frameFirstSeq);
                frameStart = -1;
                frameOps = 0;
                framePayload = 0;
            }
        }

        void Flush()
        {
            // Called only between frames, so every frame lands whole and offsets stay right. Each write ends with a
            // seal, like the store's own writes: should the hint be lost, a rescan tells damage from a torn write.
            if (buffered > 0)
            {
                RecordFormat.WriteSeal(buffer.AsSpan(buffered), output.Length + buffered);
                buffered += RecordFormat.SealSize;
                output.File.Write(output.Length, buffer.AsSpan(0, buffered));
                output.Length += buffered;
                buffered = 0;
            }
        }
    }

    private bool ShouldCopy(Segment segment, HintEntry entry, ulong minOtherSeq, out Location from)
    {
        lock (store.IndexLock)
        {
            var present = store.Index.TryGetValue(entry.Key, out from);
            if (entry.Kind == RecordFormat.KindPut)
            {
                return present && ReferenceEquals(from.Segment, segment) && from.Offset == entry.Offset;
            }

            // A tombstone matters while its key is absent and an older put of it may survive elsewhere.
            return !present && minOtherSeq < entry.Seq;
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Cairn.Storage.IO;

namespace Cairn.Storage.LogStore;

/// <summary>What opening a store rebuilt: the index, the segments, and where numbering continues.</summary>
internal sealed record RecoveredState(
    OrderedIndex<Location> Index,
    List<Segment> Segments,
    long KeyBytes,
    ulong LastSeq,
    uint NextSegmentId,
    RecoveryReport Report);

/// <summary>
/// Rebuilds a LogStore's index on open: from hint files where they are valid, by scanning (and repairing) the
/// segments that have none. For each key the operation with the highest sequence number wins.
/// </summary>
internal static class LogStoreRecovery
{
    public static RecoveredState Recover(IFileSystem fs, string directory)
    {
        var clock = Stopwatch.StartNew();
        var names = fs.ListFiles(directory);
        foreach (var name in names.Where(n => n.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            fs.Delete(Path.Combine(directory, name)); // an atomic write a crash interrupted
        }

        var hintIds = new HashSet<uint>(names.Select(n => ParseId(n, ".hint")).OfType<uint>());
        var segmentIds = names.Select(n => ParseId(n, ".log")).OfType<uint>().Order().ToList();
        foreach (var orphan in hintIds.Except(segmentIds).ToList())
        {
            // The hint of a segment that compaction removed; it describes nothing.
            fs.Delete(Path.Combine(directory, Segment.HintFileName(orphan)));
        }

        var highestId = names.Select(n => ParseId(n, ".log") ?? ParseId(n, ".log.corrupt") ?? ParseId(n, ".hint")).OfType<uint>().DefaultIfEmpty(0u).Max();

        var latest = new Dictionary<byte[], Latest>(ByteKeyComparer.Instance);
        var segments = new List<Segment>();
        int fromHints = 0, scanned = 0, corruptRegions = 0, setAside = 0;
        long scannedBytes = 0, hintBytes = 0, truncated = 0;
        ulong lastSeq = 0;
        foreach (var id in segmentIds)
        {
            var path = Path.Combine(directory, Segment.FileName(id));
            var file = fs.Open(path, create: false);
            var length = file.Length;
            if (length < RecordFormat.SegmentHeaderSize)
            {
                // Created, but the crash came before its header was durable: it never held a record.
                file.Dispose();
                fs.Delete(path);
                fs.Delete(Path.Combine(directory, Segment.HintFileName(id)));
                continue;
            }

            List<HintEntry>? entries = null;
            if (hintIds.Contains(id))
            {
                entries = HintFile.TryRead(fs, Path.Combine(directory, Segment.HintFileName(id)), id, out var read);
                hintBytes += read;
            }

            var hasCorruption = false;
            if (entries is null)
            {
                var result = SegmentScanner.Scan(file, id);
                scannedBytes += length;
                if (result.HeaderError is not null)
                {
                    file.Dispose();
                    fs.Rename(path, path + ".corrupt");
                    setAside++;
                    continue;
                }

                if (result.ValidLength < length || !result.Sealed)
                {
                    if (result.ValidLength < length)
                    {
                        file.Truncate(result.ValidLength);
                        truncated += length - result.ValidLength;
                    }

                    length = result.ValidLength;
                    if (!result.Sealed)
                    {
                        // Seal the frames kept after the last seal (whole frames of a torn group commit, or a segment
                        // written before seals existed): a bit flipped in them later reads as corruption, not a torn tail.
                        var seal = new byte[RecordFormat.SealSize];
                        RecordFormat.WriteSeal(seal, length);
                        file.Write(length, seal);
                        length += seal.Length;
                    }

                    file.Sync();
                }

                corruptRegions += result.CorruptRegions;
                hasCorruption = result.CorruptRegions > 0;
                entries = result.Entries;
                scanned++;
                // A damaged segment gets no hint: every open scans it again and reports the damage, rather than the
                // next open trusting a hint that silently leaves the lost records out.
                if (!hasCorruption)
                {
                    try
                    {
                        HintFile.Write(fs, directory, id, entries); // the segment never changes again
                    }
                    catch (IOException)
                    {
                        // Scanned again next time.
                    }
                }
            }
            else
            {
                fromHints++;
            }

            var segment = new Segment(id, file, length) { IsClosed = true, PendingHints = null, HasCorruption = hasCorruption };
            segments.Add(segment);
            foreach (var entry in entries)
            {
                segment.MinSeq = Math.Min(segment.MinSeq, entry.Seq);
                lastSeq = Math.Max(lastSeq, entry.Seq);
                ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(latest, entry.Key, out var exists);
                if (!exists || entry.Seq > slot.Seq)
                {
                    slot = new Latest(entry.Seq, entry.Kind, segment, entry.Offset, entry.ValueLength);
                }
            }
        }

        var live = new List<(byte[] Key, Location Value)>(latest.Count);
        long keyBytes = 0;
        foreach (var (key, found) in latest)
        {
            if (found.Kind != RecordFormat.KindPut)
            {
                continue;
            }

            var location = new Location(found.Segment, found.Offset, found.ValueLength);
            found.Segment.LiveBytes += location.OpSize(key.Length);
            keyBytes += key.Length;
            live.Add((key, location));
        }

        latest.Clear();
        live.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        var report = new RecoveryReport
        {
            SegmentsFromHints = fromHints,
            SegmentsScanned = scanned,
            SegmentBytesScanned = scannedBytes,
            HintBytesRead = hintBytes,
            TruncatedBytes = truncated,
            CorruptRegions = corruptRegions,
            SegmentsSetAside = setAside,
            Elapsed = clock.Elapsed,
        };
        return new RecoveredState(OrderedIndex<Location>.FromSorted(live), segments, keyBytes, lastSeq, highestId + 1, report);
    }

    private static uint? ParseId(string name, string suffix)
    {
        if (!name.EndsWith(suffix, StringComparison.Ordinal))
        {
            return null;
        }

        var stem = name[..^suffix.Length];
        return stem.Length == 10 && uint.TryParse(stem, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    private readonly record struct Latest(ulong Seq, byte Kind, Segment Segment, uint Offset, uint ValueLength);
}

using System.Collections.Concurrent;

namespace Cairn.Storage.LogStore;

/// <summary>
/// Small values recently read, by where their record lies. A record at a location never changes (segments are
/// append-only and a location is only published once its record is written), so an entry can never be stale and
/// nothing needs invalidating: compaction moves records to new locations and the old entries simply age out.
/// Values are verified (CRC32C) before they enter. Bounded in bytes; eviction drops arbitrary entries, which is
/// cheap and good enough for a cache whose job is to spare a pread on hot small values.
/// </summary>
internal sealed class RecordCache(long capacityBytes, int maxValueSize)
{
    private const int EntryOverhead = 64; // dictionary node, key and array header, roughly
    private readonly ConcurrentDictionary<(uint Segment, uint Offset), byte[]> _values = new();
    private long _bytes;

    public long Hits;
    public long Misses;

    public bool Enabled => capacityBytes > 0;

    /// <summary>Copies the cached value at a location into <paramref name="destination"/> (exactly its length).</summary>
    public bool TryCopy(Location location, Span<byte> destination)
    {
        if (_values.TryGetValue((location.Segment.Id, location.Offset), out var value) && value.Length == destination.Length)
        {
            value.CopyTo(destination);
            Interlocked.Increment(ref Hits);
            return true;
        }

        Interlocked.Increment(ref Misses);
        return false;
    }

    /// <summary>Remembers a verified value read from <paramref name="location"/>, if it is small enough.</summary>
    public void Add(Location location, ReadOnlySpan<byte> value)
    {
        if (value.Length > maxValueSize || !Enabled)
        {
            return;
        }

        if (_values.TryAdd((location.Segment.Id, location.Offset), value.ToArray()) &&
            Interlocked.Add(ref _bytes, value.Length + EntryOverhead) > capacityBytes)
        {
            Evict();
        }
    }

    private void Evict()
    {
        // Down to three quarters, so eviction runs rarely.
        var target = capacityBytes * 3 / 4;
        foreach (var key in _values.Keys)
        {
            if (Interlocked.Read(ref _bytes) <= target)
            {
                return;
            }

            if (_values.TryRemove(key, out var removed))
            {
                Interlocked.Add(ref _bytes, -(removed.Length + EntryOverhead));
            }
        }
    }
}

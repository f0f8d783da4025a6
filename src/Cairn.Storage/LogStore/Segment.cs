using Cairn.Storage.IO;

namespace Cairn.Storage.LogStore;

/// <summary>
/// One append-only segment file. The active segment takes appends; closed segments never change and are what
/// compaction rewrites. A segment is reference-counted so that compaction never deletes a file a reader is using.
/// </summary>
internal sealed class Segment
{
    private int _references = 1; // the store's own reference, dropped by Retire
    private volatile bool _retired;
    private long _flushedLength;

    public Segment(uint id, IStorageFile file, long length)
    {
        Id = id;
        File = file;
        Length = length;
        _flushedLength = length;
    }

    public uint Id { get; }

    public IStorageFile File { get; }

    /// <summary>Bytes written (header, frames and seals). Changed only under the store's write lock.</summary>
    public long Length { get; set; }

    /// <summary>
    /// Bytes handed to the operating system; the rest of <see cref="Length"/> is still in the store's write buffer.
    /// Set under the store's write lock; read without it, to decide whether a read must flush first.
    /// </summary>
    public long FlushedLength
    {
        get => Volatile.Read(ref _flushedLength);
        set => Volatile.Write(ref _flushedLength, value);
    }

    /// <summary>Bytes of operations the index still points at. Changed only under the store's index lock.</summary>
    public long LiveBytes { get; set; }

    /// <summary>The smallest sequence number of any operation in this segment (ulong.MaxValue when none).</summary>
    public ulong MinSeq { get; set; } = ulong.MaxValue;

    /// <summary>Whether this segment takes no more appends.</summary>
    public bool IsClosed { get; set; }

    /// <summary>Set when a record of this segment failed its checksum: it is kept as it is, never compacted away.</summary>
    public bool HasCorruption { get; set; }

    /// <summary>What the hint file of this segment will list, kept while the segment is active.</summary>
    public List<HintEntry>? PendingHints { get; set; } = [];

    /// <summary>The fraction of the segment that is no longer referenced.</summary>
    public double GarbageRatio => Length <= RecordFormat.SegmentHeaderSize ? 1.0 : 1.0 - ((double)LiveBytes / Length);

    public static string FileName(uint id) => $"{id:D10}.log";

    public static string HintFileName(uint id) => $"{id:D10}.hint";

    /// <summary>Takes a reference for a read; false when the segment is being deleted.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Drops a reference; the last one closes the file and runs <paramref name="onLastRelease"/>.</summary>
    public void Release(Action<Segment>? onLastRelease = null)
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            File.Dispose();
            if (_retired)
            {
                onLastRelease?.Invoke(this);
            }
        }
    }

    /// <summary>Marks the segment for deletion once the last reader is done.</summary>
    public void Retire(Action<Segment> delete)
    {
        _retired = true;
        Release(delete);
    }
}

/// <summary>One line of a hint file: an operation of the segment without its value.</summary>
internal readonly record struct HintEntry(byte Kind, ulong Seq, uint Offset, uint ValueLength, byte[] Key);

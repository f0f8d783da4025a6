namespace Cairn.Kv.Keyspace;

/// <summary>
/// Maps SCAN's numeric cursors to the key a scan stopped at. Redis clients treat cursors as numbers, while an
/// ordered scan resumes after a key; this table joins the two. It is bounded: the oldest cursors are dropped
/// first, and a dropped cursor ends its scan early (documented in INFO as scan_cursors_dropped).
/// </summary>
internal sealed class ScanCursors
{
    private const int Capacity = 65_536;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, byte[]> _cursors = [];
    private readonly Queue<long> _order = new();
    private long _next;

    public long Dropped { get; private set; }

    public long Issue(byte[] resumeAfter)
    {
        lock (_lock)
        {
            if (_cursors.Count >= Capacity && _order.TryDequeue(out var oldest) && _cursors.Remove(oldest))
            {
                Dropped++;
            }

            var id = ++_next;
            _cursors[id] = resumeAfter;
            _order.Enqueue(id);
            return id;
        }
    }

    public bool TryTake(long cursor, out byte[]? resumeAfter)
    {
        lock (_lock)
        {
            // A cursor may be used again (a client retrying a page), so it stays until it ages out.
            return _cursors.TryGetValue(cursor, out resumeAfter);
        }
    }
}

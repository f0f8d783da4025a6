namespace Cairn.Storage;

/// <summary>Conveniences every engine gets from <see cref="IKvEngine"/>'s primitives.</summary>
public static class KvEngineExtensions
{
    /// <summary>
    /// Every entry in <paramref name="range"/>, in key order, read a page at a time. Writes made during the walk
    /// may or may not be seen, but no key that stays present throughout is skipped or returned twice.
    /// </summary>
    public static IEnumerable<KvEntry> ScanAll(this IKvEngine engine, KeyRange range, bool keysOnly = false, int pageSize = 256)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        byte[]? after = null;
        do
        {
            var page = engine.Scan(range, after, pageSize, keysOnly);
            foreach (var entry in page.Entries)
            {
                yield return entry;
            }

            after = page.Next;
        }
        while (after is not null);
    }

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    public static bool Contains(this IKvEngine engine, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return engine.GetSize(key) >= 0;
    }
}

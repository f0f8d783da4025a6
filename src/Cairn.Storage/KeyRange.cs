namespace Cairn.Storage;

/// <summary>
/// A half-open range of keys, <c>[Start, End)</c>, in lexicographic byte order. A null bound is unbounded.
/// </summary>
public sealed class KeyRange
{
    private KeyRange(byte[]? start, byte[]? end)
    {
        Start = start;
        End = end;
    }

    /// <summary>Every key.</summary>
    public static KeyRange All { get; } = new(null, null);

    /// <summary>The first key of the range (inclusive), or null for the smallest key.</summary>
    public byte[]? Start { get; }

    /// <summary>The key the range stops before (exclusive), or null for no upper bound.</summary>
    public byte[]? End { get; }

    /// <summary>The keys from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive).</summary>
    public static KeyRange Between(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end) => new(start.ToArray(), end.ToArray());

    /// <summary>The keys from <paramref name="start"/> (inclusive) to the end.</summary>
    public static KeyRange From(ReadOnlySpan<byte> start) => new(start.ToArray(), null);

    /// <summary>The keys that begin with <paramref name="prefix"/>.</summary>
    public static KeyRange Prefix(ReadOnlySpan<byte> prefix) =>
        prefix.IsEmpty ? All : new KeyRange(prefix.ToArray(), PrefixEnd(prefix));

    /// <summary>Whether <paramref name="key"/> lies in the range.</summary>
    public bool Contains(ReadOnlySpan<byte> key) =>
        (Start is null || key.SequenceCompareTo(Start) >= 0) && (End is null || key.SequenceCompareTo(End) < 0);

    /// <summary>Whether <paramref name="key"/> is at or past the end of the range.</summary>
    public bool IsPastEnd(ReadOnlySpan<byte> key) => End is not null && key.SequenceCompareTo(End) >= 0;

    /// <summary>The smallest key greater than every key that starts with <paramref name="prefix"/>, or null when none is.</summary>
    private static byte[]? PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        var end = prefix.ToArray();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] != 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return null; // the prefix is all 0xFF: no upper bound
    }
}

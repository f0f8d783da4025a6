using System.Globalization;
using System.Text;

namespace Cairn.Cli.Admin;

/// <summary>An inclusive range of hash slots, <c>start-end</c>.</summary>
/// <param name="Start">The first slot.</param>
/// <param name="End">The last slot (inclusive).</param>
internal readonly record struct SlotRange(int Start, int End)
{
    /// <summary>The number of hash slots of a Redis cluster.</summary>
    public const int SlotCount = 16384;

    /// <summary>How many slots the range holds.</summary>
    public int Count => End - Start + 1;

    /// <summary>The range as Redis writes it: <c>start-end</c>, or just <c>start</c> for one slot.</summary>
    public override string ToString() => Start == End
        ? Start.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Start}-{End}");

    /// <summary>Sorts <paramref name="ranges"/> and merges the ones that overlap or touch.</summary>
    public static IReadOnlyList<SlotRange> Merge(IEnumerable<SlotRange> ranges)
    {
        var sorted = ranges.OrderBy(r => r.Start).ThenBy(r => r.End).ToList();
        var merged = new List<SlotRange>(sorted.Count);
        foreach (var range in sorted)
        {
            if (merged.Count > 0 && range.Start <= merged[^1].End + 1)
            {
                merged[^1] = merged[^1] with { End = Math.Max(merged[^1].End, range.End) };
            }
            else
            {
                merged.Add(range);
            }
        }

        return merged;
    }

    /// <summary>The merged ranges written compactly, <c>0-2730,8192-10922</c>; empty for none.</summary>
    public static string Format(IEnumerable<SlotRange> ranges)
    {
        var text = new StringBuilder();
        foreach (var range in Merge(ranges))
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(range.ToString());
        }

        return text.ToString();
    }

    /// <summary>The number of slots the ranges hold, each slot counted once.</summary>
    public static int Total(IEnumerable<SlotRange> ranges) => Merge(ranges).Sum(r => r.Count);

    /// <summary>The slots of 0–16383 that none of <paramref name="ranges"/> holds, as ranges.</summary>
    public static IReadOnlyList<SlotRange> Gaps(IEnumerable<SlotRange> ranges)
    {
        var gaps = new List<SlotRange>();
        var next = 0;
        foreach (var range in Merge(ranges))
        {
            if (range.Start > next)
            {
                gaps.Add(new SlotRange(next, range.Start - 1));
            }

            next = Math.Max(next, range.End + 1);
        }

        if (next < SlotCount)
        {
            gaps.Add(new SlotRange(next, SlotCount - 1));
        }

        return gaps;
    }
}

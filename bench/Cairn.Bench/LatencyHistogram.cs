using System.Diagnostics;
using System.Numerics;

namespace Cairn.Bench;

/// <summary>
/// A log-linear histogram of latencies in nanoseconds: exact below 64 ns, then 32 buckets per power of two, so a
/// percentile is within about 3% of the true value. Fixed size, so recording never allocates. Not thread-safe: each
/// worker thread owns one and they are merged after the run.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int LinearLimit = 2 * SubBuckets; // values below this get a bucket each
    private const int MaxExponent = 46; // 2^46 ns is about 19.5 hours

    private static readonly double NanosPerTick = 1e9 / Stopwatch.Frequency;

    private readonly long[] _counts = new long[LinearLimit + ((MaxExponent - SubBucketBits) * SubBuckets)];

    /// <summary>How many values were recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Records the latency between two <see cref="Stopwatch.GetTimestamp"/> readings.</summary>
    public void RecordTicks(long startTicks, long endTicks) => Record((long)((endTicks - startTicks) * NanosPerTick));

    /// <summary>Records a latency in nanoseconds.</summary>
    public void Record(long nanos)
    {
        _counts[IndexOf(Math.Max(0, nanos))]++;
        Count++;
    }

    /// <summary>Adds every value of <paramref name="other"/> to this histogram.</summary>
    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
    }

    /// <summary>The value at <paramref name="percentile"/> (0 to 100) in nanoseconds, or 0 when nothing was recorded.</summary>
    public double PercentileNanos(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * Count);
        rank = Math.Clamp(rank, 1, Count);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Midpoint(i);
            }
        }

        return Midpoint(_counts.Length - 1);
    }

    private static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value); // >= SubBucketBits + 1
        if (exponent >= MaxExponent)
        {
            return LinearLimit + ((MaxExponent - SubBucketBits - 1) * SubBuckets) + SubBuckets - 1;
        }

        var sub = (int)((value >> (exponent - SubBucketBits)) & (SubBuckets - 1));
        return LinearLimit + ((exponent - SubBucketBits - 1) * SubBuckets) + sub;
    }

    private static double Midpoint(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var offset = index - LinearLimit;
        var exponent = (offset / SubBuckets) + SubBucketBits + 1;
        var sub = offset % SubBuckets;
        var width = 1L << (exponent - SubBucketBits);
        var low = (1L << exponent) + (sub * width);
        return low + (width / 2.0);
    }
}

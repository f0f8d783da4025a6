using System.Diagnostics;

namespace Cairn.Bench;

/// <summary>One operation of a timed run. Returns how many items it handled (1 for a put or get, keys for a scan).</summary>
/// <param name="bytes">The payload bytes it moved (values written or read).</param>
internal delegate long BenchOp(out long bytes);

/// <summary>What a timed run measured: only operations that started and completed inside the measured window.</summary>
internal sealed record TimedResult(long Ops, long Items, long Bytes, double Seconds, LatencyHistogram Latency)
{
    public double OpsPerSecond => Ops / Seconds;

    public double ItemsPerSecond => Items / Seconds;

    public double BytesPerSecond => Bytes / Seconds;
}

/// <summary>
/// Runs an operation on a number of dedicated threads for a warm-up period and then a measured window. The window's
/// bounds are fixed before any thread starts; an operation counts only when its start and end timestamps both fall
/// inside it, so an operation in flight at either edge is neither counted nor timed, and the rate is counted
/// operations over the window's exact length. Threads stop at the end of the window and are joined before the
/// result is returned. Each thread records latencies into its own preallocated histogram, so the loop allocates
/// nothing itself.
/// </summary>
internal static class TimedRun
{
    /// <param name="threads">How many threads run the operation.</param>
    /// <param name="warmup">How long to run before measuring.</param>
    /// <param name="duration">How long to measure.</param>
    /// <param name="createOp">Makes thread i's operation; called on the coordinating thread before the run starts.</param>
    public static TimedResult Run(int threads, TimeSpan warmup, TimeSpan duration, Func<int, BenchOp> createOp)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var ops = new BenchOp[threads];
        for (var i = 0; i < threads; i++)
        {
            ops[i] = createOp(i);
        }

        var stats = new ThreadStats[threads];
        using var ready = new CountdownEvent(threads);
        using var go = new ManualResetEventSlim(false);
        long measureStart = 0, measureEnd = 0; // written before go is set, read after: the event orders them
        Exception? failure = null;
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var index = t;
            workers[t] = new Thread(() =>
            {
                var op = ops[index];
                var s = new ThreadStats(); // allocated by its own thread, so away from the others' counters
                stats[index] = s;
                ready.Signal();
                go.Wait();
                var start = measureStart;
                var end = measureEnd;
                try
                {
                    while (Volatile.Read(ref failure) is null)
                    {
                        var t0 = Stopwatch.GetTimestamp();
                        if (t0 >= end)
                        {
                            break;
                        }

                        var items = op(out var bytes);
                        var t1 = Stopwatch.GetTimestamp();
                        if (t0 >= start && t1 <= end)
                        {
                            s.Ops++;
                            s.Items += items;
                            s.Bytes += bytes;
                            s.Latency.RecordTicks(t0, t1);
                        }
                    }
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            })
            {
                IsBackground = true,
                Name = $"bench-worker-{t}",
            };
            workers[t].Start();
        }

        ready.Wait();
        var now = Stopwatch.GetTimestamp();
        measureStart = now + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        measureEnd = measureStart + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        go.Set();
        foreach (var worker in workers)
        {
            worker.Join();
        }

        if (failure is not null)
        {
            throw new InvalidOperationException($"A worker failed: {failure.Message}", failure);
        }

        var latency = new LatencyHistogram();
        long totalOps = 0, totalItems = 0, totalBytes = 0;
        foreach (var s in stats)
        {
            totalOps += s.Ops;
            totalItems += s.Items;
            totalBytes += s.Bytes;
            latency.Add(s.Latency);
        }

        var seconds = (double)(measureEnd - measureStart) / Stopwatch.Frequency;
        return new TimedResult(totalOps, totalItems, totalBytes, seconds, latency);
    }

    private sealed class ThreadStats
    {
        public long Ops;
        public long Items;
        public long Bytes;
        public readonly LatencyHistogram Latency = new();
    }
}

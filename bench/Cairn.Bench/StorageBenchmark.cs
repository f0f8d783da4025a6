using System.Diagnostics;
using Cairn.Storage;
using Cairn.Storage.FlatFs;
using Cairn.Storage.LogStore;
using LogStoreEngine = Cairn.Storage.LogStore.LogStore;

namespace Cairn.Bench;

/// <summary>An engine configuration a workload runs against.</summary>
internal sealed record EngineConfig(string Label, string Slug, Func<string, IKvEngine> Open)
{
    public static readonly EngineConfig LogStoreAlways = new(
        "LogStore/Always", "logstore-always", d => LogStoreEngine.Open(d, new LogStoreOptions { Sync = SyncPolicy.Always }));

    public static readonly EngineConfig LogStoreGroupCommit = new(
        "LogStore/GroupCommit", "logstore-group", d => LogStoreEngine.Open(d, new LogStoreOptions { Sync = SyncPolicy.GroupCommit }));

    public static readonly EngineConfig FlatFsSync = new(
        "FlatFs/Sync", "flatfs-sync", d => new FlatFsEngine(d, new FlatFsOptions { Sync = true }));

    /// <summary>The durable write configurations the put workloads compare.</summary>
    public static readonly EngineConfig[] DurableWriters = [LogStoreAlways, LogStoreGroupCommit, FlatFsSync];
}

/// <summary>The <c>storage</c> command: LogStore against FlatFs, and both against the disk.</summary>
internal sealed class StorageBenchmark
{
    private const int SmallValue = 1024;
    private const int BlockValue = 256 * 1024;

    private readonly StorageOptions _options;
    private readonly string _root;
    private readonly List<ResultRow> _rows = [];
    private readonly Dictionary<string, double> _fioBandwidth = new(StringComparer.Ordinal);
    private int _runNumber;
    private RestartFigures? _logStoreRestart;

    public StorageBenchmark(StorageOptions options)
    {
        _options = options;
        _root = Path.GetFullPath(options.Dir ?? "bench-data");
    }

    /// <summary>Runs the selected workloads and returns the Markdown report.</summary>
    public string Run()
    {
        var createdRoot = !Directory.Exists(_root);
        Directory.CreateDirectory(_root);
        Log($"storage benchmark in {_root}; measured window {_options.EffectiveDuration.TotalSeconds} s after "
            + $"{_options.EffectiveWarmup.TotalSeconds} s warm-up{(_options.Quick ? " (quick: a smoke test, not a measurement)" : "")}");
        WarnIfLowOnSpace();
        try
        {
            if (_options.Runs("fio"))
            {
                RunFio();
            }

            if (_options.Runs("put-1k"))
            {
                RunPuts("put-1k", SmallValue);
            }

            if (_options.Runs("put-256k"))
            {
                RunPuts("put-256k", BlockValue);
            }

            if (_options.Runs("get-random") || _options.Runs("scan-prefix"))
            {
                RunReads();
            }

            if (_options.Runs("restart"))
            {
                RunRestart();
            }
        }
        finally
        {
            if (createdRoot)
            {
                DeleteQuietly(_root);
            }
        }

        var header = $"Cairn storage benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, "
            + $"{_options.EffectiveDuration.TotalSeconds} s per run, data in {_root}"
            + (_options.Quick ? ". QUICK RUN: a smoke test, the numbers are not a measurement." : ".");
        return Report.Render(_rows, Ratios(), header);
    }

    /// <summary>A full put-256k run can write ~2 GB/s for 6 s into one store before it is deleted.</summary>
    private void WarnIfLowOnSpace()
    {
        try
        {
            var free = new DriveInfo(_root).AvailableFreeSpace;
            var wanted = _options.Quick ? 4L << 30 : 20L << 30;
            if (free < wanted)
            {
                Log($"warning: only {Report.Bytes(free)} free under {_root}; the put runs may need up to {Report.Bytes(wanted)}");
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            // informational only
        }
    }

    private void RunFio()
    {
        var fio = Fio.Find();
        if (fio is null)
        {
            Log("fio is not installed (apt-get install -y fio): skipping the disk's physical limit");
            _rows.Add(new ResultRow("fio", "fio missing", 0) { Notes = "install fio for the disk's limit", Failed = true });
            return;
        }

        var size = _options.Quick ? "256M" : "1G";
        var cap = TimeSpan.FromSeconds(_options.Quick ? 15 : 60);
        (string Name, string Bs, bool Fdatasync, string Notes)[] jobs =
        [
            ("fio-seq-1m", "1M", false, $"fio seqwrite bs=1M size={size} psync, one fsync at the end: the disk's limit"),
            ("fio-seq-256k-fdatasync", "256k", true, $"fio seqwrite bs=256k size={size} psync, fdatasync after every write"),
        ];
        foreach (var job in jobs)
        {
            var dir = NewRunDirectory(job.Name);
            try
            {
                Log($"{job.Name}: running fio");
                var result = Fio.SequentialWrite(fio, dir, job.Bs, size, job.Fdatasync, cap);
                _fioBandwidth[job.Name] = result.BytesPerSecond;
                _rows.Add(new ResultRow(job.Name, "fio", 1)
                {
                    BytesPerSecond = result.BytesPerSecond,
                    P50Nanos = result.P50Nanos,
                    P99Nanos = result.P99Nanos,
                    Notes = job.Notes,
                });
                Log($"{job.Name}: {Report.Megabytes(result.BytesPerSecond)} MB/s");
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.Text.Json.JsonException or KeyNotFoundException)
            {
                Log($"{job.Name}: failed: {e.Message}");
                _rows.Add(new ResultRow(job.Name, "fio", 1) { Notes = "FAILED: " + OneLine(e.Message), Failed = true });
            }
            finally
            {
                DeleteQuietly(dir);
            }
        }
    }

    private void RunPuts(string workload, int valueSize)
    {
        foreach (var writers in WriterCounts())
        {
            foreach (var config in EngineConfig.DurableWriters)
            {
                Measure(workload, config, writers, engine => TimedRun.Run(writers, _options.EffectiveWarmup, _options.EffectiveDuration, t =>
                {
                    var key = BenchKeys.NewBuffer();
                    var value = new byte[valueSize];
                    Random.Shared.NextBytes(value);
                    var n = (ulong)t << 40; // each thread writes its own keys, all new
                    return (out long bytes) =>
                    {
                        BenchKeys.Write(n++, key);
                        engine.Put(key, value);
                        bytes = value.Length;
                        return 1;
                    };
                }));
            }
        }
    }

    private int[] WriterCounts() => _options.Threads == 1 ? [1] : [1, _options.Threads];

    /// <summary>Opens a fresh store, runs one measurement, then closes and deletes the store.</summary>
    private void Measure(string workload, EngineConfig config, int writers, Func<IKvEngine, TimedResult> run)
    {
        var dir = NewRunDirectory($"{workload}-{config.Slug}-{writers}w");
        try
        {
            TimedResult result;
            long keysWritten;
            using (var engine = config.Open(dir))
            {
                result = run(engine);
                keysWritten = engine.GetStats().Keys;
            }

            var row = ResultRow.FromTimed(workload, config.Label, writers, result, $"{result.Ops:N0} ops measured, {keysWritten:N0} keys written in all");
            _rows.Add(row);
            Log($"{workload} {config.Label} {writers}w: {Report.Rate(row.OpsPerSecond)} ops/s, {Report.Megabytes(row.BytesPerSecond)} MB/s, "
                + $"p50 {Report.Latency(row.P50Nanos)}, p99 {Report.Latency(row.P99Nanos)}");
        }
        catch (Exception e)
        {
            Log($"{workload} {config.Label} {writers}w: failed: {e.Message}");
            _rows.Add(new ResultRow(workload, config.Label, writers) { Notes = "FAILED: " + OneLine(e.Message), Failed = true });
        }
        finally
        {
            DeleteQuietly(dir);
            Tools.SyncFileSystems();
        }
    }

    /// <summary>get-random and scan-prefix share one loaded data set per engine.</summary>
    private void RunReads()
    {
        var keys = _options.EffectiveLoadKeys;
        (string Label, string Slug, Func<string, IKvEngine> Open, Action<IKvEngine, long> Load)[] engines =
        [
            ("LogStore", "logstore", d => LogStoreEngine.Open(d, new LogStoreOptions { Sync = SyncPolicy.None }), LoadInBatches),
            ("FlatFs", "flatfs", d => new FlatFsEngine(d, new FlatFsOptions { Sync = false }), LoadInParallel),
        ];
        foreach (var e in engines)
        {
            var dir = NewRunDirectory($"reads-{e.Slug}");
            try
            {
                using var engine = e.Open(dir);
                var sw = Stopwatch.StartNew();
                e.Load(engine, keys);
                Tools.SyncFileSystems(); // one flush of the whole load, rather than an fsync per FlatFs file
                Log($"reads {e.Label}: loaded {keys:N0} keys x 1 KiB in {sw.Elapsed.TotalSeconds:N1} s");
                CheckScanCount(engine, keys);
                if (_options.Runs("get-random"))
                {
                    RecordRead("get-random", e.Label, _options.Threads, () => RunGets(engine, keys), "random keys, data set in page cache");
                }

                if (_options.Runs("scan-prefix"))
                {
                    var perPrefix = (double)keys / BenchKeys.PrefixCount;
                    RecordRead("scan-prefix keys", e.Label, 1, () => RunScans(engine, keysOnly: true), $"~{perPrefix:N0} keys/scan", scan: true);
                    RecordRead("scan-prefix values", e.Label, 1, () => RunScans(engine, keysOnly: false), $"~{perPrefix:N0} keys/scan", scan: true);
                }
            }
            catch (Exception ex)
            {
                Log($"reads {e.Label}: failed: {ex.Message}");
                _rows.Add(new ResultRow("reads", e.Label, 0) { Notes = "FAILED: " + OneLine(ex.Message), Failed = true });
            }
            finally
            {
                DeleteQuietly(dir);
                Tools.SyncFileSystems();
            }
        }
    }

    private void RecordRead(string workload, string engine, int threads, Func<TimedResult> run, string notes, bool scan = false)
    {
        var result = run();
        if (scan)
        {
            notes = $"{Report.Rate(result.ItemsPerSecond)} keys/s, {notes}";
        }

        var row = ResultRow.FromTimed(workload, engine, threads, result, notes);
        _rows.Add(row);
        Log($"{workload} {engine} {threads}t: {Report.Rate(row.OpsPerSecond)} ops/s, p50 {Report.Latency(row.P50Nanos)}, p99 {Report.Latency(row.P99Nanos)}"
            + (scan ? $", {Report.Rate(result.ItemsPerSecond)} keys/s" : ""));
    }

    private TimedResult RunGets(IKvEngine engine, long keys) =>
        TimedRun.Run(_options.Threads, _options.EffectiveWarmup, _options.EffectiveDuration, t =>
        {
            var key = BenchKeys.NewBuffer();
            var rng = new XorShift((ulong)t + 1);
            return (out long bytes) =>
            {
                var i = (long)(rng.Next() % (ulong)keys);
                WriteLoadKey(i, key);
                var value = engine.Get(key) ?? throw new InvalidOperationException("A loaded key is missing.");
                bytes = value.Length;
                return 1;
            };
        });

    private TimedResult RunScans(IKvEngine engine, bool keysOnly)
    {
        var ranges = new KeyRange[BenchKeys.PrefixCount];
        for (var p = 0; p < ranges.Length; p++)
        {
            ranges[p] = KeyRange.Prefix(BenchKeys.Prefix(p));
        }

        return TimedRun.Run(1, _options.EffectiveWarmup, _options.EffectiveDuration, t =>
        {
            var rng = new XorShift((ulong)t + 7);
            return (out long bytes) =>
            {
                var range = ranges[(int)(rng.Next() % (ulong)ranges.Length)];
                long items = 0;
                bytes = 0;
                byte[]? after = null;
                do
                {
                    var page = engine.Scan(range, after, 1024, keysOnly);
                    foreach (var entry in page.Entries)
                    {
                        items++;
                        bytes += entry.Value?.Length ?? 0;
                    }

                    after = page.Next;
                }
                while (after is not null);
                return items;
            };
        });
    }

    /// <summary>The i-th loaded key: loaded keys go round the 256 prefixes.</summary>
    private static void WriteLoadKey(long i, Span<byte> key) =>
        BenchKeys.WritePrefixed((int)(i % BenchKeys.PrefixCount), (ulong)(i / BenchKeys.PrefixCount), key);

    private static void CheckScanCount(IKvEngine engine, long keys)
    {
        var expected = (keys / BenchKeys.PrefixCount) + (keys % BenchKeys.PrefixCount > 0 ? 1 : 0);
        var found = engine.ScanAll(KeyRange.Prefix(BenchKeys.Prefix(0)), keysOnly: true).LongCount();
        if (found != expected)
        {
            throw new InvalidOperationException($"Prefix 0 holds {found} keys, expected {expected}: the load or the key layout is wrong.");
        }
    }

    private static void LoadInBatches(IKvEngine engine, long keys) => LoadInBatches(engine, keys, SmallValue, WriteLoadKey);

    private static void LoadInBatches(IKvEngine engine, long keys, int valueSize, KeyWriter writeKey)
    {
        var key = BenchKeys.NewBuffer();
        var value = new byte[valueSize];
        Random.Shared.NextBytes(value);
        var batch = new WriteBatch();
        var batchKeys = Math.Max(1, Math.Min(10_000, 4 * 1024 * 1024 / (valueSize + BenchKeys.KeyLength)));
        for (long i = 0; i < keys; i++)
        {
            writeKey(i, key);
            batch.Put(key, value);
            if (batch.Count == batchKeys)
            {
                engine.Write(batch);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            engine.Write(batch);
        }
    }

    private static void LoadInParallel(IKvEngine engine, long keys) => LoadInParallel(engine, keys, SmallValue, WriteLoadKey);

    private static void LoadInParallel(IKvEngine engine, long keys, int valueSize, KeyWriter writeKey)
    {
        var value = new byte[valueSize];
        Random.Shared.NextBytes(value);
        Parallel.For(0L, keys, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, () => BenchKeys.NewBuffer(), (i, _, key) =>
        {
            writeKey(i, key);
            engine.Put(key, value);
            return key;
        }, _ => { });
    }

    private delegate void KeyWriter(long i, Span<byte> key);

    private void RunRestart()
    {
        RestartLogStore(_options.RestartKeys);
        RestartFlatFs(_options.FlatFsRestartKeys);
    }

    private void RestartLogStore(long keys)
    {
        var dir = NewRunDirectory("restart-logstore");
        try
        {
            var sw = Stopwatch.StartNew();
            using (var store = LogStoreEngine.Open(dir, new LogStoreOptions { Sync = SyncPolicy.None, BackgroundCompaction = false }))
            {
                LoadInBatches(store, keys, 16, (i, key) => BenchKeys.Write((ulong)i, key));
                store.Sync();
            }

            Log($"restart LogStore: wrote {keys:N0} keys in {sw.Elapsed.TotalSeconds:N1} s; opening");
            var opens = new List<double>();
            string notes = "";
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var before = ManagedHeapBytes();
                var wall = Stopwatch.StartNew();
                var store = LogStoreEngine.Open(dir, new LogStoreOptions { Sync = SyncPolicy.GroupCommit });
                wall.Stop();
                try
                {
                    opens.Add(wall.Elapsed.TotalSeconds);
                    if (attempt > 0)
                    {
                        continue;
                    }

                    var after = ManagedHeapBytes();
                    var stats = store.GetStats();
                    var recovery = store.Recovery;
                    if (stats.Keys != keys)
                    {
                        throw new InvalidOperationException($"The reopened store holds {stats.Keys} keys, not {keys}.");
                    }

                    var statsOverhead = ((double)stats.IndexBytes / keys) - BenchKeys.KeyLength;
                    var measuredOverhead = ((double)(after - before) / keys) - BenchKeys.KeyLength;
                    _logStoreRestart = new RestartFigures(keys, wall.Elapsed.TotalSeconds, recovery.Elapsed.TotalSeconds,
                        recovery.SegmentBytesScanned, statsOverhead, measuredOverhead);
                    notes = $"{keys:N0} keys: open {wall.Elapsed.TotalSeconds:N3} s wall, Recovery.Elapsed {recovery.Elapsed.TotalSeconds:N3} s, "
                        + $"SegmentBytesScanned {recovery.SegmentBytesScanned}{(recovery.SegmentBytesScanned == 0 ? "" : " (SHOULD BE 0)")}, "
                        + $"{recovery.SegmentsFromHints} segments from hints ({Report.Bytes(recovery.HintBytesRead)}); "
                        + $"index {statsOverhead:N1} B/key + key (GetStats), {measuredOverhead:N1} B/key + key (measured heap)";
                }
                finally
                {
                    store.Dispose();
                }
            }

            notes += $"; warm reopens {string.Join(", ", opens.Skip(1).Select(s => $"{s:N3} s"))}";
            _rows.Add(new ResultRow("restart", "LogStore", 0) { Notes = notes });
            Log($"restart LogStore: {notes}");
        }
        catch (Exception e)
        {
            Log($"restart LogStore: failed: {e.Message}");
            _rows.Add(new ResultRow("restart", "LogStore", 0) { Notes = "FAILED: " + OneLine(e.Message), Failed = true });
        }
        finally
        {
            DeleteQuietly(dir);
            Tools.SyncFileSystems();
        }
    }

    private void RestartFlatFs(long keys)
    {
        var dir = NewRunDirectory("restart-flatfs");
        try
        {
            var sw = Stopwatch.StartNew();
            using (var store = new FlatFsEngine(dir, new FlatFsOptions { Sync = false }))
            {
                LoadInParallel(store, keys, 16, (i, key) => BenchKeys.Write((ulong)i, key));
            }

            Tools.SyncFileSystems(); // one flush of the whole load, rather than an fsync per file

            Log($"restart FlatFs: wrote {keys:N0} files in {sw.Elapsed.TotalSeconds:N1} s; opening");
            var before = ManagedHeapBytes();
            var wall = Stopwatch.StartNew();
            using var reopened = new FlatFsEngine(dir, new FlatFsOptions { Sync = true });
            wall.Stop();
            var after = ManagedHeapBytes();
            var stats = reopened.GetStats();
            if (stats.Keys != keys)
            {
                throw new InvalidOperationException($"The reopened store holds {stats.Keys} keys, not {keys}.");
            }

            var measuredOverhead = ((double)(after - before) / keys) - BenchKeys.KeyLength;
            var scale = keys == _options.RestartKeys ? "" : $" (not {_options.RestartKeys:N0}: one file per key is slow to create)";
            var notes = $"{keys:N0} keys{scale}: open {wall.Elapsed.TotalSeconds:N3} s wall (walks every shard directory); "
                + $"index {((double)stats.IndexBytes / keys) - BenchKeys.KeyLength:N1} B/key + key (GetStats), {measuredOverhead:N1} B/key + key (measured heap)";
            _rows.Add(new ResultRow("restart", "FlatFs", 0) { Notes = notes });
            Log($"restart FlatFs: {notes}");
        }
        catch (Exception e)
        {
            Log($"restart FlatFs: failed: {e.Message}");
            _rows.Add(new ResultRow("restart", "FlatFs", 0) { Notes = "FAILED: " + OneLine(e.Message), Failed = true });
        }
        finally
        {
            DeleteQuietly(dir);
            Tools.SyncFileSystems();
        }
    }

    private List<string> Ratios()
    {
        var lines = new List<string>();
        var many = _options.Threads;
        foreach (var (workload, target) in new[] { ("put-1k", 10.0), ("put-256k", 2.0) })
        {
            var flatMany = Find(workload, EngineConfig.FlatFsSync.Label, many);
            var flatOne = Find(workload, EngineConfig.FlatFsSync.Label, 1);
            var groupMany = Find(workload, EngineConfig.LogStoreGroupCommit.Label, many);
            var alwaysOne = Find(workload, EngineConfig.LogStoreAlways.Label, 1);
            if (groupMany is not null && flatMany is not null)
            {
                lines.Add(RatioLine($"{workload}: LogStore(GroupCommit, {many}w) / FlatFs({many}w)", groupMany.OpsPerSecond, flatMany.OpsPerSecond, target));
            }

            if (alwaysOne is not null && flatOne is not null)
            {
                lines.Add(RatioLine($"{workload}: LogStore(Always, 1w) / FlatFs(1w)", alwaysOne.OpsPerSecond, flatOne.OpsPerSecond, target));
            }
        }

        var blocks = Find("put-256k", EngineConfig.LogStoreGroupCommit.Label, many);
        if (blocks?.BytesPerSecond is { } blockRate)
        {
            if (_fioBandwidth.TryGetValue("fio-seq-1m", out var fio) && fio > 0)
            {
                var percent = 100 * blockRate / fio;
                lines.Add($"put-256k: LogStore(GroupCommit, {many}w) {Report.Megabytes(blockRate)} MB/s = {percent:N0}% of fio's "
                    + $"sequential write {Report.Megabytes(fio)} MB/s (target >= 60%: {Verdict(percent >= 60)})");
            }
            else
            {
                lines.Add($"put-256k: LogStore(GroupCommit, {many}w) {Report.Megabytes(blockRate)} MB/s; no fio figure to compare with");
            }
        }

        if (_logStoreRestart is { } r)
        {
            var at = r.Keys == 1_000_000 ? "" : $" (at {r.Keys:N0} keys, not the target's 1,000,000)";
            lines.Add($"restart: LogStore.Open {r.WallSeconds:N3} s wall, Recovery.Elapsed {r.RecoverySeconds:N3} s, "
                + $"SegmentBytesScanned {r.SegmentBytesScanned}{at} (target < 2 s with 0 bytes scanned: {Verdict(r.WallSeconds < 2 && r.SegmentBytesScanned == 0)})");
            lines.Add($"index memory on top of the {BenchKeys.KeyLength}-byte key (target <= 64 B/key): measured heap {r.MeasuredOverhead:N1} B/key "
                + $"({Verdict(r.MeasuredOverhead <= 64)}); GetStats().IndexBytes estimate {r.StatsOverhead:N1} B/key ({Verdict(r.StatsOverhead <= 64)})");
        }

        if (_options.Quick && lines.Count > 0)
        {
            lines.Add("quick run: durations and data sets are too small for these verdicts to mean anything");
        }

        return lines;
    }

    private ResultRow? Find(string workload, string engine, int writers) =>
        _rows.FirstOrDefault(r => !r.Failed && r.Workload == workload && r.Engine == engine && r.Writers == writers);

    private sealed record RestartFigures(
        long Keys, double WallSeconds, double RecoverySeconds, long SegmentBytesScanned, double StatsOverhead, double MeasuredOverhead);

    private static string RatioLine(string label, double? numerator, double? denominator, double target)
    {
        if (numerator is not { } n || denominator is not { } d || d <= 0)
        {
            return $"{label}: no figure";
        }

        var ratio = n / d;
        return $"{label} = {ratio:N1}x (target >= {target:N0}x: {Verdict(ratio >= target)})";
    }

    private static string Verdict(bool met) => met ? "met" : "NOT met";

    /// <summary>Live bytes on the managed heap after a full, compacting collection.</summary>
    private static long ManagedHeapBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private string NewRunDirectory(string name)
    {
        var dir = Path.Combine(_root, $"{++_runNumber:D2}-{name}");
        DeleteQuietly(dir);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void DeleteQuietly(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log($"could not delete {dir}: {e.Message}");
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>A per-thread xorshift64* generator: no locks, no allocation.</summary>
    private sealed class XorShift(ulong seed)
    {
        private ulong _state = (seed * 0x9E3779B97F4A7C15UL) | 1;

        public ulong Next()
        {
            _state ^= _state >> 12;
            _state ^= _state << 25;
            _state ^= _state >> 27;
            return _state * 0x2545F4914F6CDD1DUL;
        }
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cairn.Storage;
using Cairn.Storage.FlatFs;
using Cairn.Storage.LogStore;
using Xunit.Abstractions;

namespace Cairn.Cli.Tests;

public sealed partial class StoreCommandTests(ITestOutputHelper output)
{
    [Fact]
    public void Import_flatfs_copies_every_key_and_value_into_a_new_store_and_prints_a_summary()
    {
        using var temp = new TempDirectory();
        var expected = CreateFlatFs(temp["blocks"], keys: 500, seed: 1);

        var result = CairnProcess.Run("store", "import-flatfs", temp["blocks"], "--into", temp["data"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(string.Empty, result.Stderr);
        Assert.Contains("Imported", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"keys:\s+500\b", result.Stdout);
        Assert.Matches(@"bytes:\s+.*\(" + expected.Sum(e => e.Key.Length + e.Value.Length) + " B\\)", result.Stdout);
        Assert.Contains("throughput:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("elapsed:", result.Stdout, StringComparison.Ordinal);

        using var store = LogStore.Open(temp["data"], new LogStoreOptions { CreateIfMissing = false, BackgroundCompaction = false });
        Assert.Equal(500, store.GetStats().Keys);
        foreach (var (key, value) in expected)
        {
            Assert.Equal(value, store.Get(Encoding.ASCII.GetBytes(key)));
        }
    }

    [Fact]
    public void Stats_reports_an_imported_store_as_a_table_and_as_json()
    {
        using var temp = new TempDirectory();
        var expected = CreateFlatFs(temp["blocks"], keys: 500, seed: 2);
        var liveBytes = expected.Sum(e => e.Key.Length + e.Value.Length);
        Assert.Equal(0, CairnProcess.Run("store", "import-flatfs", temp["blocks"], "--into", temp["data"]).ExitCode);

        var table = CairnProcess.Run("store", "stats", temp["data"]);
        var json = CairnProcess.Run("store", "stats", temp["data"], "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches(@"Keys\s*│\s*500\b", table.Stdout);
        Assert.Contains("Garbage", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("Segments from hints", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("B/key", table.Stdout, StringComparison.Ordinal);

        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var root = document.RootElement;
        Assert.Equal(500, root.GetProperty("keys").GetInt64());
        // LogStore counts a live record's header with its key and value.
        Assert.InRange(root.GetProperty("liveBytes").GetInt64(), liveBytes, liveBytes + (500 * 64));
        Assert.True(root.GetProperty("storedBytes").GetInt64() >= liveBytes);
        Assert.True(root.GetProperty("segments").GetInt64() >= 1);
        Assert.True(root.GetProperty("indexBytesPerKey").GetDouble() > 0);
        Assert.Equal(0, root.GetProperty("corruptRecords").GetInt64());
        Assert.Equal(Path.GetFullPath(temp["data"]), root.GetProperty("path").GetString());
        var recovery = root.GetProperty("recovery");
        Assert.True(recovery.GetProperty("segmentsFromHints").GetInt32() >= 1, "a cleanly closed store reopens from its hint files");
        Assert.Equal(0, recovery.GetProperty("segmentsScanned").GetInt32());
    }

    [Fact]
    public void Compact_reclaims_the_garbage_of_overwritten_keys_and_keeps_the_latest_values()
    {
        using var temp = new TempDirectory();
        var options = new LogStoreOptions { SegmentSize = 4096, BackgroundCompaction = false };
        var random = new Random(3);
        var latest = new Dictionary<string, byte[]>();
        using (var store = LogStore.Open(temp.Path, options))
        {
            for (var round = 0; round < 4; round++)
            {
                for (var i = 0; i < 100; i++)
                {
                    var key = $"/key/{i:D3}";
                    var value = new byte[100];
                    random.NextBytes(value);
                    store.Put(Encoding.ASCII.GetBytes(key), value);
                    latest[key] = value;
                }
            }
        }

        var result = CairnProcess.Run("store", "compact", temp.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        var compacted = int.Parse(CompactedPattern().Match(result.Stdout).Groups[1].Value, CultureInfo.InvariantCulture);
        var reclaimed = long.Parse(ReclaimedPattern().Match(result.Stdout).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(compacted > 0, result.Stdout);
        Assert.True(reclaimed > 0, result.Stdout);

        using var reopened = LogStore.Open(temp.Path, options with { CreateIfMissing = false });
        Assert.Equal(latest.Count, reopened.GetStats().Keys);
        foreach (var (key, value) in latest)
        {
            Assert.Equal(value, reopened.Get(Encoding.ASCII.GetBytes(key)));
        }
    }

    [Fact]
    public void Compact_with_nothing_over_the_threshold_says_so_and_succeeds()
    {
        using var temp = new TempDirectory();
        using (var store = LogStore.Open(temp.Path, new LogStoreOptions { BackgroundCompaction = false }))
        {
            store.Put("/only"u8, "value"u8);
        }

        var result = CairnProcess.Run("store", "compact", temp.Path, "--min-garbage", "0.9");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Nothing to compact", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Interrupting_an_import_with_SIGINT_leaves_a_clean_store_holding_only_correct_values()
    {
        using var temp = new TempDirectory();
        var expected = CreateFlatFs(temp["blocks"], keys: 3000, seed: 4, maxValueSize: 16384).ToDictionary(e => e.Key, e => e.Value);

        // Once the first batch is on disk, Ctrl+C: the copy is then usually part-way through, though on a fast
        // machine it may finish first; either way the store must be clean.
        Thread? interrupter = null;
        var result = CairnProcess.Run(
            (process, line) =>
            {
                if (line.StartsWith("Importing ", StringComparison.Ordinal))
                {
                    interrupter = new Thread(() => InterruptOnceDataIsWritten(process, temp["data"]));
                    interrupter.Start();
                }
            },
            "store", "import-flatfs", temp["blocks"], "--into", temp["data"]);
        Assert.NotNull(interrupter);
        interrupter.Join();

        Assert.True(result.ExitCode is 0 or 130, result.ToString());
        if (result.ExitCode == 130)
        {
            var line = Assert.Single(result.StderrLines);
            Assert.StartsWith("cairn: error: import cancelled after ", line, StringComparison.Ordinal);
        }

        using var store = LogStore.Open(temp["data"], new LogStoreOptions { CreateIfMissing = false, BackgroundCompaction = false });
        Assert.Equal(0, store.Recovery.TruncatedBytes);
        Assert.Equal(0, store.Recovery.SegmentsScanned); // closed normally: every segment has its hint file
        var keys = 0;
        foreach (var entry in store.ScanAll(KeyRange.All))
        {
            Assert.Equal(expected[Encoding.ASCII.GetString(entry.Key)], entry.Value);
            keys++;
        }

        Assert.True(result.ExitCode == 130 || keys == expected.Count, $"exit {result.ExitCode} with {keys} keys");
        output.WriteLine($"exit {result.ExitCode}: {keys} of {expected.Count} keys imported");
    }

    private static void InterruptOnceDataIsWritten(System.Diagnostics.Process process, string directory)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!process.HasExited && DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(directory) && Directory.EnumerateFiles(directory, "*.log").Any(f => new FileInfo(f).Length > 1024))
            {
                using var kill = System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
                return;
            }

            Thread.Yield();
        }
    }

    /// <summary>Creates a go-ds-flatfs store with <paramref name="keys"/> block-like keys and random values.</summary>
    private static List<KeyValuePair<string, byte[]>> CreateFlatFs(string directory, int keys, int seed, int maxValueSize = 4096)
    {
        var random = new Random(seed);
        var entries = new List<KeyValuePair<string, byte[]>>();
        using var flatfs = new FlatFsEngine(directory, new FlatFsOptions { Sync = false });
        for (var i = 0; i < keys; i++)
        {
            var digest = new byte[20];
            random.NextBytes(digest);
            var key = "/CIQ" + Convert.ToHexString(digest); // 0-9 A-F: a key go-ds-flatfs accepts
            var value = new byte[random.Next(0, maxValueSize)];
            random.NextBytes(value);
            flatfs.Put(Encoding.ASCII.GetBytes(key), value);
            entries.Add(new(key, value));
        }

        flatfs.Sync();
        Assert.True(File.Exists(Path.Combine(directory, "SHARDING")));
        return entries;
    }

    [GeneratedRegex(@"segments compacted:\s+(\d+)")]
    private static partial Regex CompactedPattern();

    [GeneratedRegex(@"reclaimed:\s+.*\((\d+) B")]
    private static partial Regex ReclaimedPattern();
}

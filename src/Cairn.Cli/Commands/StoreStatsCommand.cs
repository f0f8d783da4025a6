using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cairn.Cli.Output;
using Spectre.Console;

namespace Cairn.Cli.Commands;

/// <summary><c>cairn store stats &lt;data-dir&gt; [--json]</c>: what a LogStore holds and what opening it found.</summary>
public static class StoreStatsCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var directory = new Argument<string>("data-dir") { Description = "The store directory." };
        var json = new Option<bool>("--json") { Description = "Print the statistics as JSON." };
        var command = new Command("stats", "Print a store's keys, sizes, garbage, index memory and recovery report.")
        {
            directory,
            json,
        };
        command.SetAction(parseResult => Run(parseResult.GetRequiredValue(directory), parseResult.GetValue(json)));
        return command;
    }

    private static int Run(string directory, bool asJson)
    {
        StoreStatsReport report;
        using (var store = StoreDirectory.OpenExisting(directory))
        {
            report = StoreStatsReport.From(store.Directory, store.GetStats(), store.Recovery);
        }

        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Default.StoreStatsReport));
        }
        else
        {
            CliConsole.Create().Write(CreateTable(report));
        }

        return ExitCodes.Success;
    }

    private static Table CreateTable(StoreStatsReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new Table()
            .Title(Markup.Escape(r.Path))
            .AddColumn("Statistic")
            .AddColumn(new TableColumn("Value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));

        Row("Keys", r.Keys.ToString("N0", inv));
        Row("Live bytes", ByteSize.Format(r.LiveBytes));
        Row("Stored bytes", ByteSize.Format(r.StoredBytes));
        Row("Garbage", (r.GarbageRatio * 100).ToString("0.0", inv) + " %");
        Row("Segments", r.Segments.ToString("N0", inv));
        Row("Index memory", $"{ByteSize.Format(r.IndexBytes)} ({r.IndexBytesPerKey.ToString("0.0", inv)} B/key)");
        Row("Corrupt records", r.CorruptRecords.ToString("N0", inv));
        Row("Truncated bytes", ByteSize.Format(r.TruncatedBytes));
        Row("Checkpoint index", r.CheckpointIndex.ToString(inv));
        Row("Segments from hints", r.Recovery.SegmentsFromHints.ToString("N0", inv));
        Row("Segments scanned", $"{r.Recovery.SegmentsScanned.ToString("N0", inv)} ({ByteSize.Format(r.Recovery.SegmentBytesScanned)})");
        Row("Corrupt regions", r.Recovery.CorruptRegions.ToString("N0", inv));
        Row("Segments set aside", r.Recovery.SegmentsSetAside.ToString("N0", inv));
        Row("Open time", r.Recovery.OpenMilliseconds.ToString("0.0", inv) + " ms");
        return table;
    }
}

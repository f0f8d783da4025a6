using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cairn.Cli.Output;

namespace Cairn.Cli.Commands;

/// <summary><c>cairn store compact &lt;data-dir&gt; [--min-garbage R]</c>: rewrites closed segments to reclaim garbage.</summary>
public static class StoreCompactCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var directory = new Argument<string>("data-dir") { Description = "The store directory." };
        var minGarbage = new Option<double>("--min-garbage")
        {
            Description = "Compact only closed segments with at least this fraction (0 to 1) of garbage; 0 compacts every closed segment.",
            DefaultValueFactory = _ => 0.0,
        };
        minGarbage.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<double>();
            if (double.IsNaN(value) || value is < 0 or > 1)
            {
                result.AddError($"--min-garbage must be between 0 and 1, not {value.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        var command = new Command("compact", "Rewrite a store's closed segments, keeping only live records, and report what was reclaimed.")
        {
            directory,
            minGarbage,
        };
        command.SetAction(parseResult => Run(parseResult.GetRequiredValue(directory), parseResult.GetValue(minGarbage)));
        return command;
    }

    private static int Run(string directory, double minGarbage)
    {
        using var store = StoreDirectory.OpenExisting(directory);
        var stopwatch = Stopwatch.StartNew();
        var result = store.Compact(minGarbage);
        stopwatch.Stop();
        if (result.SegmentsCompacted == 0)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"Nothing to compact in {store.Directory}: no closed segment has at least {minGarbage:P0} garbage."));
            return ExitCodes.Success;
        }

        var reclaimedShare = result.BytesBefore <= 0 ? 0.0 : (double)result.ReclaimedBytes / result.BytesBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Compacted {store.Directory} in {stopwatch.Elapsed.TotalSeconds:0.00} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  segments compacted: {result.SegmentsCompacted}"));
        Console.WriteLine($"  bytes before:       {ByteSize.Format(result.BytesBefore)} ({result.BytesBefore.ToString(CultureInfo.InvariantCulture)} B)");
        Console.WriteLine($"  bytes after:        {ByteSize.Format(result.BytesAfter)} ({result.BytesAfter.ToString(CultureInfo.InvariantCulture)} B)");
        if (result.ReclaimedBytes >= 0)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  reclaimed:          {ByteSize.Format(result.ReclaimedBytes)} ({result.ReclaimedBytes} B, {reclaimedShare:P1})"));
        }
        else
        {
            // Rewriting segments that held no garbage can cost a little space; say so rather than print a negative gain.
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  reclaimed:          0 B (0 B, the rewritten segments are {ByteSize.Format(-result.ReclaimedBytes)} larger)"));
        }

        return ExitCodes.Success;
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Cairn.Cli.Output;
using Cairn.Storage;
using Cairn.Storage.FlatFs;
using Cairn.Storage.LogStore;

namespace Cairn.Cli.Commands;

/// <summary>
/// <c>cairn store import-flatfs &lt;flatfs-dir&gt; --into &lt;data-dir&gt;</c>: copies a go-ds-flatfs store, such as
/// an IPFS <c>blocks</c> directory, into a LogStore.
/// </summary>
public static class ImportFlatFsCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var source = new Argument<string>("flatfs-dir") { Description = "The go-ds-flatfs directory to read, e.g. ~/.ipfs/blocks." };
        var into = new Option<string>("--into")
        {
            Description = "The store directory to write; created if missing. Keys it already holds are overwritten.",
            Required = true,
        };
        var command = new Command("import-flatfs", "Copy every key of a go-ds-flatfs store (e.g. an IPFS blocks directory) into a store.")
        {
            source,
            into,
        };
        command.SetAction(parseResult => Run(parseResult.GetRequiredValue(source), parseResult.GetRequiredValue(into)));
        return command;
    }

    private static int Run(string sourceDirectory, string targetDirectory)
    {
        var sourcePath = Path.GetFullPath(sourceDirectory);
        var targetPath = Path.GetFullPath(targetDirectory);
        CheckIsFlatFs(sourcePath);
        if (string.Equals(sourcePath.TrimEnd('/'), targetPath.TrimEnd('/'), StringComparison.Ordinal))
        {
            throw new IOException($"cannot import {sourcePath} into itself; --into must name another directory.");
        }

        CheckCanHoldStore(targetPath);

        using var cancellation = new CancellationTokenSource();
        using var signals = CancelOnSignals(cancellation);

        // Opening flatfs walks every shard; for a big IPFS repository that takes a while, so say what is happening.
        Console.WriteLine($"Reading {sourcePath} ...");
        using var flatfs = new FlatFsEngine(sourcePath, new FlatFsOptions { Sync = false });

        // No fsync per batch: the import syncs once at the end, and an interrupted import is simply run again.
        using var store = LogStore.Open(targetPath, new LogStoreOptions
        {
            CreateIfMissing = true,
            BackgroundCompaction = false,
            Sync = SyncPolicy.None,
        });

        var total = flatfs.GetStats();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Importing {total.Keys:N0} keys ({ByteSize.Format(total.LiveBytes)}) from {sourcePath} into {targetPath}"));
        var stopwatch = Stopwatch.StartNew();
        long keysSoFar = 0;
        try
        {
            var result = ImportProgressDisplay.Run("Copying", progress =>
                FlatFsImport.Import(flatfs, store, new CountingProgress(progress, p => keysSoFar = p.KeysCopied), cancellation.Token));
            store.Sync();
            stopwatch.Stop();
            WriteSummary(sourcePath, targetPath, result, stopwatch.Elapsed);
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            store.Sync();
            CliRunner.WriteError(string.Create(
                CultureInfo.InvariantCulture,
                $"import cancelled after {keysSoFar:N0} keys; {targetPath} is intact and holds the keys copied so far. Run the import again to finish it."));
            return ExitCodes.Cancelled;
        }
    }

    private static void CheckIsFlatFs(string path)
    {
        if (File.Exists(path))
        {
            throw new InvalidDataException($"{path} is a file, not a flatfs directory.");
        }

        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"no flatfs store at {path}: the directory does not exist.");
        }

        // FlatFsEngine would create a new store in an empty directory; an import only ever reads an existing one.
        if (!File.Exists(Path.Combine(path, "SHARDING")))
        {
            throw new InvalidDataException($"{path} is not a flatfs store: it has no SHARDING file.");
        }
    }

    private static void CheckCanHoldStore(string path)
    {
        if (File.Exists(path))
        {
            throw new IOException($"{path} is a file, not a store directory.");
        }

        // Never scatter segment files among someone's other files: the target is new, empty, or already a store.
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any() && !StoreDirectory.LooksLikeStore(path))
        {
            throw new InvalidDataException($"{path} is not a Cairn store and is not empty; import into a new or empty directory or an existing store.");
        }
    }

    private static void WriteSummary(string source, string target, ImportResult result, TimeSpan elapsed)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-6);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Imported {source} into {target}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  keys:       {result.KeysCopied:N0}"));
        Console.WriteLine($"  bytes:      {ByteSize.Format(result.BytesCopied)} ({result.BytesCopied.ToString(CultureInfo.InvariantCulture)} B)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  batches:    {result.Batches:N0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  elapsed:    {elapsed.TotalSeconds:0.00} s"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  throughput: {result.KeysCopied / seconds:N0} keys/s, {ByteSize.FormatRate(result.BytesCopied, elapsed)}"));
    }

    /// <summary>
    /// Turns the first Ctrl+C (SIGINT) or SIGTERM into a cancellation so the store is disposed normally; a second
    /// Ctrl+C terminates the process at once.
    /// </summary>
    private static IDisposable CancelOnSignals(CancellationTokenSource cancellation)
    {
        void Handle(PosixSignalContext context)
        {
            if (!cancellation.IsCancellationRequested)
            {
                context.Cancel = true;
                cancellation.Cancel();
            }
        }

        return new Registrations(
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
    }

    private sealed class Registrations(params IDisposable[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }

    private sealed class CountingProgress(IProgress<ImportProgress> inner, Action<ImportProgress> observe) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value)
        {
            observe(value);
            inner.Report(value);
        }
    }
}

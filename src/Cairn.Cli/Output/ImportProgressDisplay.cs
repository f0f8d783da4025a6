using System.Diagnostics;
using System.Globalization;
using Cairn.Storage.FlatFs;
using Spectre.Console;

namespace Cairn.Cli.Output;

/// <summary>
/// Shows how far an import has come: a live progress bar when stdout is a terminal, otherwise a plain progress
/// line at most every <see cref="PlainInterval"/>.
/// </summary>
public static class ImportProgressDisplay
{
    /// <summary>How often plain progress lines are printed when stdout is not a terminal.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs <paramref name="import"/>, giving it an <see cref="IProgress{T}"/> that updates the display on the
    /// calling thread, and returns its result.
    /// </summary>
    public static T Run<T>(string description, Func<IProgress<ImportProgress>, T> import)
    {
        ArgumentNullException.ThrowIfNull(import);
        return CliConsole.IsTerminal ? RunTerminal(description, import) : RunPlain(description, import);
    }

    private static T RunTerminal<T>(string description, Func<IProgress<ImportProgress>, T> import) =>
        CliConsole.Create().Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: 1);
                var progress = new InlineProgress(p =>
                {
                    task.MaxValue = Math.Max(1, p.TotalBytes);
                    task.Value = Math.Min(p.BytesCopied, task.MaxValue);
                    task.Description = Markup.Escape(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{description} {p.KeysCopied:N0}/{p.TotalKeys:N0} keys"));
                });
                var result = import(progress);
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });

    private static T RunPlain<T>(string description, Func<IProgress<ImportProgress>, T> import)
    {
        var sinceLast = Stopwatch.StartNew();
        var progress = new InlineProgress(p =>
        {
            if (sinceLast.Elapsed < PlainInterval)
            {
                return;
            }

            sinceLast.Restart();
            var percent = p.TotalBytes <= 0 ? 100.0 : 100.0 * p.BytesCopied / p.TotalBytes;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{description} {p.KeysCopied:N0}/{p.TotalKeys:N0} keys, {ByteSize.Format(p.BytesCopied)}/{ByteSize.Format(p.TotalBytes)} ({percent:0.0} %)"));
        });
        return import(progress);
    }

    /// <summary>Reports on the thread that reports, unlike <see cref="Progress{T}"/>, which posts to the thread pool.</summary>
    private sealed class InlineProgress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }
}

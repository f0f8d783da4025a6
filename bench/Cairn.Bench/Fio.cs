using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Bench;

/// <summary>What one fio job measured.</summary>
internal sealed record FioResult(double BytesPerSecond, double? P50Nanos, double? P99Nanos);

/// <summary>Runs fio as a child process and reads its JSON output.</summary>
internal static class Fio
{
    /// <summary>fio's full path, or null when it is not on the PATH.</summary>
    public static string? Find() => Tools.FindOnPath("fio");

    /// <summary>
    /// Runs one sequential-write job in <paramref name="directory"/> and returns its write bandwidth and completion
    /// latency percentiles (per block).
    /// </summary>
    /// <exception cref="InvalidOperationException">fio failed or printed no result.</exception>
    public static FioResult SequentialWrite(string fio, string directory, string blockSize, string size, bool fdatasync, TimeSpan runtimeCap)
    {
        var args = new List<string>
        {
            "--name=seqwrite",
            $"--directory={directory}",
            "--rw=write",
            $"--bs={blockSize}",
            $"--size={size}",
            "--ioengine=psync",
            "--end_fsync=1",
            $"--runtime={(int)Math.Ceiling(runtimeCap.TotalSeconds)}",
            "--unlink=1",
            "--output-format=json",
        };
        if (fdatasync)
        {
            args.Add("--fdatasync=1");
        }

        var (exitCode, stdout, stderr) = Tools.Run(fio, args, TimeSpan.FromSeconds(runtimeCap.TotalSeconds + 600));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"fio exited with {exitCode}: {stderr.Trim()}");
        }

        return Parse(stdout);
    }

    /// <summary>Reads the first job's write bandwidth and latency from fio's JSON output.</summary>
    public static FioResult Parse(string output)
    {
        var start = output.IndexOf('{', StringComparison.Ordinal); // fio may print notices before the JSON
        if (start < 0)
        {
            throw new InvalidOperationException("fio printed no JSON.");
        }

        using var doc = JsonDocument.Parse(output.AsMemory(start));
        var write = doc.RootElement.GetProperty("jobs")[0].GetProperty("write");
        var bandwidth = write.GetProperty("bw_bytes").GetDouble();
        double? p50 = null, p99 = null;
        if (write.TryGetProperty("clat_ns", out var clat) && clat.TryGetProperty("percentile", out var percentiles))
        {
            p50 = Percentile(percentiles, 50);
            p99 = Percentile(percentiles, 99);
        }

        return new FioResult(bandwidth, p50, p99);
    }

    private static double? Percentile(JsonElement percentiles, double p) =>
        percentiles.TryGetProperty(p.ToString("F6", CultureInfo.InvariantCulture), out var value) ? value.GetDouble() : null;
}

/// <summary>Child processes and the PATH.</summary>
internal static class Tools
{
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs <paramref name="file"/> to completion and returns its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}.");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Flushes every dirty page of the machine (the <c>sync</c> command), so one run's write-back does not land in
    /// the next run's window. Best effort.
    /// </summary>
    public static void SyncFileSystems()
    {
        var sync = FindOnPath("sync");
        if (sync is null)
        {
            return;
        }

        try
        {
            Run(sync, [], TimeSpan.FromMinutes(5));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            // best effort
        }
    }
}

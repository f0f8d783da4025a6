using System.Diagnostics;
using Xunit;

namespace Cairn.Testing;

/// <summary>What one run of an external program printed and returned.</summary>
public sealed record ExternalToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs external programs (redis-cli, redis-benchmark, dotnet cairn.dll) to completion and captures their output.</summary>
public static class ExternalTool
{
    /// <summary>Whether <paramref name="tool"/> is an executable on PATH.</summary>
    public static bool IsOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));

    /// <summary>Fails the test, saying what to install, unless every one of <paramref name="tools"/> is on PATH.</summary>
    public static void Require(string package, params string[] tools)
    {
        var missing = tools.Where(t => !IsOnPath(t)).ToArray();
        Assert.True(
            missing.Length == 0,
            $"{string.Join(" and ", missing)} not on PATH: this test runs the real tools; install the {package} package (apt-get install {package}).");
    }

    /// <summary>Runs <paramref name="tool"/> to completion (killed and failed after <paramref name="timeout"/>, default 60 s).</summary>
    public static async Task<ExternalToolResult> RunAsync(string tool, IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{tool} {string.Join(' ', start.ArgumentList)} did not exit within {limit}:\n{await stdout}\n{await stderr}");
        }

        return new ExternalToolResult(process.ExitCode, await stdout, await stderr);
    }
}

using System.Diagnostics;

namespace Cairn.Cli.Tests;

/// <summary>What one run of the <c>cairn</c> executable printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs the real built <c>cairn</c> executable (<c>dotnet cairn.dll</c>) as a child process.</summary>
internal static class CairnProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>The <c>cairn.dll</c> the build copied next to this test assembly.</summary>
    public static string CairnDll { get; } = FindCairnDll();

    public static CliResult Run(params string[] args) => Run(onStdoutLine: null, args);

    /// <summary>Runs cairn, calling <paramref name="onStdoutLine"/> with the process and each stdout line as it is printed.</summary>
    public static CliResult Run(Action<Process, string>? onStdoutLine, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CairnDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start cairn");
        var stdout = Task.Run(() =>
        {
            var text = new System.Text.StringBuilder();
            while (process.StandardOutput.ReadLine() is { } line)
            {
                text.Append(line).Append('\n');
                onStdoutLine?.Invoke(process, line);
            }

            return text.ToString();
        });
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"cairn {string.Join(' ', args)} did not exit within {Timeout}.");
        }

        process.WaitForExit(); // lets the output readers finish
        return new CliResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static string FindCairnDll()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "cairn.dll");
        Assert.True(File.Exists(path), $"cairn.dll is not next to the tests at {AppContext.BaseDirectory}");
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "cairn.runtimeconfig.json")), "cairn.runtimeconfig.json is missing");
        return path;
    }
}

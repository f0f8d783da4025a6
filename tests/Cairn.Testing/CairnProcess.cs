using System.Diagnostics;
using System.Text;
using Xunit;

namespace Cairn.Testing;

/// <summary>
/// A long-running <c>cairn</c> child process (<c>dotnet cairn.dll ARGS</c>, from the <c>cairn.dll</c> the build copied
/// next to the test assembly) whose stdout and stderr are kept. It can be killed with SIGKILL, stopped with SIGTERM and
/// started again with the same arguments; dispose kills it.
/// </summary>
public sealed class CairnProcess : IDisposable
{
    private readonly StringBuilder _output = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];
    private Process? _process;
    private int _outputStart;

    /// <summary>A process that will run <c>cairn ARGS</c> in <paramref name="workingDirectory"/> (default: the current one).</summary>
    public CairnProcess(IReadOnlyList<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        Args = args;
        WorkingDirectory = workingDirectory;
        Environment = environment ?? new Dictionary<string, string>();
    }

    /// <summary>The arguments after <c>cairn</c>.</summary>
    public IReadOnlyList<string> Args { get; }

    public string? WorkingDirectory { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The path of the <c>cairn.dll</c> next to the tests.</summary>
    public static string CairnDll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "cairn.dll");
            return File.Exists(dll) ? dll : throw new InvalidOperationException($"cairn.dll is not next to the tests at {AppContext.BaseDirectory}; reference src/Cairn.Cli.");
        }
    }

    /// <summary>The <c>dotnet</c> host that runs <see cref="CairnDll"/>.</summary>
    public static string DotnetHost => System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The process id of the current run.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");

    /// <summary>The exit code of the last run, once it has exited.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Everything every run printed, stdout and stderr, runs separated by a marker line.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Runs <c>cairn ARGS</c> to completion (e.g. <c>config cluster</c>).</summary>
    public static Task<ExternalToolResult> RunToExitAsync(IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null) =>
        ExternalTool.RunAsync(DotnetHost, [CairnDll, .. args], timeout, workingDirectory);

    /// <summary>Starts a run (the previous one must have exited).</summary>
    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("already running");
        }

        _process?.Dispose();
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory ?? string.Empty,
        };
        start.ArgumentList.Add(CairnDll);
        foreach (var arg in Args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }

        lock (_output)
        {
            _output.AppendLine(CultureInfoInvariant($"=== start: cairn {string.Join(' ', Args)} ==="));
            _outputStart = _output.Length;
            _waiters.Clear();
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Note(e.Data);
        process.ErrorDataReceived += (_, e) => Note(e.Data);
        process.Exited += (_, _) =>
        {
            process.WaitForExit(); // the last lines arrive after the exit: let them reach the waiters first
            FailWaiters();
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Waits until the current run prints a line containing <paramref name="text"/>; fails if it exits first or the time runs out.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        TaskCompletionSource seen;
        lock (_output)
        {
            if (_output.ToString(_outputStart, _output.Length - _outputStart).Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, seen));
        }

        if (!IsRunning)
        {
            FailWaiters();
        }

        try
        {
            await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"cairn {string.Join(' ', Args)} did not print '{text}' within {timeout}:\n{Output}");
        }
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    /// <summary>kill -TERM, then waits for the process to exit (killed with SIGKILL and failed if it does not in time).</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("not started");
        if (!process.HasExited)
        {
            var kill = await ExternalTool.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.True(kill.ExitCode == 0 || process.HasExited, $"kill -TERM {process.Id}: {kill}");
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                Assert.Fail($"cairn {string.Join(' ', Args)} did not exit within {timeout} of SIGTERM:\n{Output}");
            }
        }

        process.WaitForExit(); // drains the output
        return process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
        }

        _process?.Dispose();
        _process = null;
    }

    private static string CultureInfoInvariant(FormattableString text) => FormattableString.Invariant(text);

    private void Note(string? line)
    {
        if (line is null)
        {
            return;
        }

        List<TaskCompletionSource> seen = [];
        lock (_output)
        {
            _output.AppendLine(line);
            _waiters.RemoveAll(w =>
            {
                if (line.Contains(w.Text, StringComparison.Ordinal))
                {
                    seen.Add(w.Seen);
                    return true;
                }

                return false;
            });
        }

        seen.ForEach(s => s.TrySetResult());
    }

    private void FailWaiters()
    {
        List<TaskCompletionSource> waiting;
        lock (_output)
        {
            waiting = [.. _waiters.Select(w => w.Seen)];
            _waiters.Clear();
        }

        foreach (var waiter in waiting)
        {
            waiter.TrySetException(new InvalidOperationException($"cairn {string.Join(' ', Args)} exited (code {ExitCode}) before printing what was awaited:\n{Output}"));
        }
    }
}

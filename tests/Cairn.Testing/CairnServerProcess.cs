using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Cairn.Testing;

/// <summary>
/// A real <c>cairn server</c> child process (<c>dotnet cairn.dll server</c>, from the <c>cairn.dll</c> the build
/// copied next to the test assembly) on a free port and a fresh data directory; killed and its data deleted on
/// dispose. Use it as a class fixture: one server per test class.
/// </summary>
public sealed partial class CairnServerProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    /// <summary>Starts a server with no password.</summary>
    public CairnServerProcess()
        : this(password: null)
    {
    }

    private CairnServerProcess(string? password)
    {
        DataDir = Path.Combine(Path.GetTempPath(), "cairn-server-" + Guid.NewGuid().ToString("N"));
        var dll = Path.Combine(AppContext.BaseDirectory, "cairn.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"cairn.dll is not next to the tests at {AppContext.BaseDirectory}; reference src/Cairn.Cli.");
        }

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[dll, "server", "--port", "0", "--data-dir", DataDir])
        {
            start.ArgumentList.Add(arg);
        }

        if (password is not null)
        {
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(password);
        }

        // --port 0 asks the OS for a free port; the banner says which one it is.
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("cairn server exited before it was ready:\n" + Output));
                return;
            }

            lock (_output)
            {
                _output.AppendLine(e.Data);
            }

            var match = BannerPattern().Match(e.Data);
            if (match.Success)
            {
                ready.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(e.Data);
                }
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!ready.Task.Wait(StartTimeout))
        {
            Dispose();
            throw new TimeoutException($"cairn server did not print its banner within {StartTimeout}:\n{Output}");
        }

        Port = ready.Task.Result;
    }

    /// <summary>Starts a server whose clients must AUTH with <paramref name="password"/>.</summary>
    public static CairnServerProcess WithPassword(string password) => new(password);

    /// <summary>The port the server listens on, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The server's address, <c>127.0.0.1:port</c>.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>The server's data directory.</summary>
    public string DataDir { get; }

    /// <summary>What the server has printed so far, stdout and stderr.</summary>
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

    /// <summary>Kills the server and deletes its data.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            if (Directory.Exists(DataDir))
            {
                Directory.Delete(DataDir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"serving the Redis protocol .* on [^ ]*:(\d+)\s*$")]
    private static partial Regex BannerPattern();
}

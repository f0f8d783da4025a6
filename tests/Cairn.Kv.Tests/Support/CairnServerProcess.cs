using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Cairn.Kv.Tests.Support;

/// <summary>
/// The real <c>cairn server</c> (the built <c>cairn.dll</c> next to the tests) running as a child process. Started
/// with <c>--port 0</c> unless told otherwise; the port it took is read from its banner.
/// </summary>
internal sealed partial class CairnServerProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<IPEndPoint> _banner = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private CairnServerProcess(string dataDir, int port, string[] extraArgs)
    {
        DataDir = dataDir;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CairnDll);
        foreach (var arg in (string[])["server", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dataDir, .. extraArgs])
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start cairn");
        _stdoutPump = Task.Run(PumpStdout);
        _stderrPump = Task.Run(PumpStderr);
    }

    /// <summary>The <c>cairn.dll</c> the build copied next to this test assembly.</summary>
    public static string CairnDll { get; } = Path.Combine(AppContext.BaseDirectory, "cairn.dll");

    public string DataDir { get; }

    public IPEndPoint EndPoint { get; private set; } = null!;

    public int Port => EndPoint.Port;

    public Process Process => _process;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <c>cairn server</c> and waits until its banner says it is serving.</summary>
    public static CairnServerProcess Start(string dataDir, int port = 0, params string[] extraArgs)
    {
        Assert.True(File.Exists(CairnDll), $"cairn.dll is not next to the tests at {AppContext.BaseDirectory}");
        var server = new CairnServerProcess(dataDir, port, extraArgs);
        try
        {
            if (!server._banner.Task.Wait(StartTimeout))
            {
                Assert.Fail($"cairn server printed no banner within {StartTimeout}.\n{server.Output()}");
            }

            server.EndPoint = server._banner.Task.Result;
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Working set of the server process, in bytes.</summary>
    public long WorkingSet
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>kill -9: the process gets no chance to flush or close anything.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Sends SIGTERM and waits for the process to exit; returns its exit code.</summary>
    public int Terminate(TimeSpan timeout)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            kill.WaitForExit();
        }

        if (!_process.WaitForExit(timeout))
        {
            KillHard();
            Assert.Fail($"cairn server did not stop within {timeout} of SIGTERM.\n{Output()}");
        }

        _process.WaitForExit(); // lets the output pumps finish
        _stdoutPump.Wait(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    public string Output() => $"--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                KillHard();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"is serving the Redis protocol .* on (?<address>[0-9.]+):(?<port>\d+)")]
    private static partial Regex BannerLine();

    private void PumpStdout()
    {
        while (_process.StandardOutput.ReadLine() is { } line)
        {
            lock (_stdout)
            {
                _stdout.Append(line).Append('\n');
            }

            var match = BannerLine().Match(line);
            if (match.Success)
            {
                _banner.TrySetResult(new IPEndPoint(IPAddress.Parse(match.Groups["address"].Value), int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        _banner.TrySetException(new InvalidOperationException("cairn server exited before printing its banner"));
    }

    private void PumpStderr()
    {
        while (_process.StandardError.ReadLine() is { } line)
        {
            lock (_stderr)
            {
                _stderr.Append(line).Append('\n');
            }
        }
    }
}

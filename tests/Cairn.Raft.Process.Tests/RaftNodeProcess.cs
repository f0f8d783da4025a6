using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cairn.Raft.Process.Tests;

/// <summary>One <c>cairn raft-node</c> child process; can be killed with SIGKILL and started again on the same data.</summary>
internal sealed class RaftNodeProcess : IDisposable
{
    private readonly StringBuilder _output = new();
    private System.Diagnostics.Process? _process;

    public RaftNodeProcess(ulong id, string peers, string dataDir, string secret)
    {
        Id = id;
        Peers = peers;
        DataDir = dataDir;
        Secret = secret;
    }

    public ulong Id { get; }

    public string Peers { get; }

    public string DataDir { get; }

    public string Secret { get; }

    public bool IsRunning => _process is { HasExited: false };

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

    /// <summary>Free loopback ports for a cluster (bound, read and released: a small race, fine for tests).</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    public void Start()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "raft-node", "--id", Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--peers", Peers, "--data-dir", DataDir, "--snapshot-entries", "50"])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["CAIRN_CLUSTER_SECRET"] = Secret;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new System.Diagnostics.Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Note(e.Data, ready);
        process.ErrorDataReceived += (_, e) => Note(e.Data, null);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        if (!ready.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException($"raft-node {Id} did not start:\n{Output}");
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

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
    }

    private void Note(string? line, TaskCompletionSource? ready)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (ready is not null && line.Contains("serving", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }
}

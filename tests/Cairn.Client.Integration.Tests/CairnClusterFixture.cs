using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Cairn.Client.Resp;

namespace Cairn.Client.Integration.Tests;

/// <summary>
/// A real 3-node cluster of <c>cairn node</c> child processes (from the <c>cairn.dll</c> the build copied next to the
/// tests): configs written by <c>cairn config cluster</c> on free ports, every node started, and ready once each has
/// printed <c>cluster_state:ok</c> and answers <c>CLUSTER INFO</c> with it. Every process is killed and the directory
/// deleted on dispose. A class fixture: one cluster per test class.
/// </summary>
public sealed class CairnClusterFixture : IAsyncLifetime
{
    private const int NodeCount = 3;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly List<Process> _processes = [];
    private readonly StringBuilder _output = new();

    /// <summary>
    /// The directory holding the configs and the nodes' data: in memory (<c>/dev/shm</c>) where there is one, since
    /// every write is fsynced by a quorum and the conformance suite makes thousands of them one by one.
    /// </summary>
    public string Directory { get; } = Path.Combine(
        System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(),
        "cairn-cluster-" + Guid.NewGuid().ToString("N"));

    /// <summary>The RESP addresses of the nodes, <c>127.0.0.1:port</c>.</summary>
    public IReadOnlyList<string> Seeds { get; private set; } = [];

    /// <summary>What the processes printed so far.</summary>
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

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            var basePort = FreeBasePort();
            try
            {
                await StartAsync(basePort);
                return;
            }
            catch (Exception) when (attempt < 2)
            {
                // Most likely a port taken between the check and the start: try other ports.
                KillAll();
                TryDelete();
            }
        }
    }

    /// <summary>Opens a plain client to one node.</summary>
    public RespClient NodeClient(string address)
    {
        var (host, port) = RespClientOptions.ParseAddress(address);
        return new RespClient(new RespClientOptions { Host = host, Port = port });
    }

    /// <summary>
    /// Empties the cluster: FLUSHALL on every node (each flushes the groups it leads), repeated until no node's
    /// <c>CAIRN.SCANPREFIX</c> finds a key, in case a group changed leader in between.
    /// </summary>
    public async Task FlushAsync()
    {
        for (var round = 0; round < 20; round++)
        {
            var empty = true;
            foreach (var seed in Seeds)
            {
                await using var client = NodeClient(seed);
                await client.ExecuteAsync(new RespCommand("FLUSHALL"));
            }

            foreach (var seed in Seeds)
            {
                await using var client = NodeClient(seed);
                var page = ScanPrefixReply.Parse((await client.ExecuteAsync(new RespCommand("CAIRN.SCANPREFIX").Add(string.Empty).Add("0").Add("COUNT").Add(1))).AsArray(), withValues: false);
                empty &= page.Entries.Count == 0;
            }

            if (empty)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("the cluster still holds keys after FLUSHALL on every node");
    }

    /// <inheritdoc/>
    public Task DisposeAsync()
    {
        KillAll();
        TryDelete();
        return Task.CompletedTask;
    }

    private async Task StartAsync(int basePort)
    {
        var generate = await RunToEndAsync(["config", "cluster", "--nodes", NodeCount.ToString(CultureInfo.InvariantCulture), "--out", Directory, "--base-port", basePort.ToString(CultureInfo.InvariantCulture), "--force"]);
        if (generate.ExitCode != 0)
        {
            throw new InvalidOperationException($"cairn config cluster failed ({generate.ExitCode}):\n{generate.Output}");
        }

        Seeds = [.. Enumerable.Range(0, NodeCount).Select(i => $"127.0.0.1:{basePort + i}")];
        var ready = new List<Task>();
        for (var i = 0; i < NodeCount; i++)
        {
            ready.Add(StartNode(Path.Combine(Directory, $"node-{i}.json"), i));
        }

        using var timeout = new CancellationTokenSource(StartTimeout);
        var all = Task.WhenAll(ready);
        if (await Task.WhenAny(all, Task.Delay(StartTimeout, timeout.Token)) != all)
        {
            throw new TimeoutException($"the cluster did not reach cluster_state:ok within {StartTimeout}:\n{Output}");
        }

        await all;
        await timeout.CancelAsync();

        // Every node agrees, through the protocol too.
        foreach (var seed in Seeds)
        {
            await using var client = NodeClient(seed);
            var deadline = DateTime.UtcNow + StartTimeout;
            while (!(await client.ExecuteAsync(new RespCommand("CLUSTER").Add("INFO"))).AsString()!.Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{seed} does not report cluster_state:ok:\n{Output}");
                }

                await Task.Delay(100);
            }
        }

        // Right after cluster_state:ok groups still move to their preferred leaders: wait for the map to settle.
        await using var first = NodeClient(Seeds[0]);
        var slots = string.Empty;
        for (var round = 0; round < 20; round++)
        {
            var now = (await first.ExecuteAsync(new RespCommand("CLUSTER").Add("SLOTS"))).ToString();
            if (now == slots)
            {
                break;
            }

            slots = now;
            await Task.Delay(750);
        }
    }

    private Task StartNode(string config, int index)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = StartInfo(["node", "--config", config]) };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"node {index} exited before cluster_state:ok:\n{Output}"));
                return;
            }

            Append(index, e.Data);
            if (e.Data.StartsWith("cluster_state:ok", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append(index, e.Data);
            }
        };
        process.Start();
        lock (_processes)
        {
            _processes.Add(process);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return ready.Task;
    }

    private async Task<(int ExitCode, string Output)> RunToEndAsync(string[] args)
    {
        using var process = new Process { StartInfo = StartInfo(args) };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
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
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    /// <summary>A base port P with P..P+2 and P+10000..P+10002 free on 127.0.0.1.</summary>
    private static int FreeBasePort()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var basePort = Random.Shared.Next(20_000, 55_000 - NodeCount);
            var ports = Enumerable.Range(0, NodeCount).SelectMany(i => new[] { basePort + i, basePort + 10_000 + i });
            if (ports.All(IsFree))
            {
                return basePort;
            }
        }

        throw new InvalidOperationException("no free ports for a cluster");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Append(int index, string line)
    {
        lock (_output)
        {
            _output.Append("[node ").Append(index).Append("] ").AppendLine(line);
        }
    }

    private void KillAll()
    {
        lock (_processes)
        {
            foreach (var process in _processes)
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                        process.WaitForExit(10_000);
                    }
                }
                catch (InvalidOperationException)
                {
                }

                process.Dispose();
            }

            _processes.Clear();
        }
    }

    private void TryDelete()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}

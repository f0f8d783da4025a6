using System.Globalization;
using Cairn.Client.Resp;
using Cairn.Testing;
using Xunit.Abstractions;

namespace Cairn.Cluster.Process.Tests;

/// <summary>
/// A cluster of real <c>cairn node</c> processes on 127.0.0.1: configs written by the real
/// <c>cairn config cluster</c> into a temp directory (free base port P: RESP P+i, Raft P+10000+i), every node started
/// as a child process. Dispose kills every process, prints the tail of each node's output and deletes the directory.
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>What <c>cairn node</c> prints once it is listening.</summary>
    public const string Banner = "Press Ctrl+C to stop.";

    private readonly ITestOutputHelper _output;
    private readonly List<CairnProcess> _nodes = [];
    private readonly Dictionary<int, RespClient> _admin = [];

    private ProcessCluster(string directory, int basePort, ITestOutputHelper output)
    {
        Directory = directory;
        BasePort = basePort;
        _output = output;
    }

    /// <summary>The directory holding node-i.json, client.json and the nodes' data.</summary>
    public string Directory { get; }

    /// <summary>Node i's RESP port is <c>BasePort + i</c>.</summary>
    public int BasePort { get; }

    public int Count => _nodes.Count;

    /// <summary>The RESP addresses of the nodes, <c>127.0.0.1:port</c>.</summary>
    public IReadOnlyList<string> Addresses => [.. Enumerable.Range(0, Count).Select(Address)];

    /// <summary>Writes the configs with <c>cairn config cluster</c>, starts every node and waits for <c>cluster_state:ok</c> on each.</summary>
    public static async Task<ProcessCluster> StartAsync(int nodes, ITestOutputHelper output)
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-cluster-process-" + Guid.NewGuid().ToString("N"));
        var cluster = new ProcessCluster(directory, LoopbackPorts.FreeBase(nodes), output);
        try
        {
            var config = await CairnProcess.RunToExitAsync(
                ["config", "cluster", "--nodes", nodes.ToString(CultureInfo.InvariantCulture), "--out", directory, "--base-port", cluster.BasePort.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(config.ExitCode == 0, $"cairn config cluster: {config}");
            output.WriteLine(config.Stdout);
            for (var i = 0; i < nodes; i++)
            {
                var file = Path.Combine(directory, $"node-{i}.json");
                Assert.True(File.Exists(file), $"cairn config cluster did not write {file}");
                cluster._nodes.Add(new CairnProcess(["node", "--config", file], workingDirectory: directory));
            }

            var started = DateTime.UtcNow;
            foreach (var node in cluster._nodes)
            {
                node.Start();
            }

            foreach (var node in cluster._nodes)
            {
                await node.WaitForOutputAsync(Banner, TimeSpan.FromSeconds(60));
            }

            await cluster.WaitForStateOkAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"{nodes} nodes up with cluster_state:ok on each {(DateTime.UtcNow - started).TotalSeconds:F1} s after starting them (base port {cluster.BasePort})");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string Address(int node) => $"127.0.0.1:{Port(node)}";

    public int Port(int node) => BasePort + node;

    public CairnProcess Node(int node) => _nodes[node];

    /// <summary>Starts node <paramref name="node"/> again with its config and waits until it listens.</summary>
    public async Task RestartAsync(int node)
    {
        _nodes[node].Start();
        await _nodes[node].WaitForOutputAsync(Banner, TimeSpan.FromSeconds(60));
    }

    /// <summary>Node <paramref name="node"/>'s answer to a command that takes no key (<c>CLUSTER INFO</c>, <c>CLUSTER NODES</c>).</summary>
    public async Task<string> AskAsync(int node, params string[] command)
    {
        var request = new RespCommand(command[0]);
        foreach (var argument in command.Skip(1))
        {
            request.Add(argument);
        }

        var reply = await Admin(node).ExecuteAsync(request);
        return reply.AsString() ?? string.Empty;
    }

    /// <summary>Node <paramref name="node"/>'s reply to <paramref name="command"/>, as it came.</summary>
    public Task<RespReply> ExecuteAsync(int node, RespCommand command) => Admin(node).ExecuteAsync(command);

    /// <summary>Waits until every running node (or those given) answers <c>CLUSTER INFO</c> with <c>cluster_state:ok</c>.</summary>
    public async Task WaitForStateOkAsync(TimeSpan timeout, params int[] nodes)
    {
        var which = nodes.Length > 0 ? nodes : [.. Enumerable.Range(0, Count).Where(i => _nodes[i].IsRunning)];
        var deadline = DateTime.UtcNow + timeout;
        var last = new Dictionary<int, string>();
        while (true)
        {
            var ok = true;
            foreach (var node in which)
            {
                try
                {
                    last[node] = await AskAsync(node, "CLUSTER", "INFO");
                }
                catch (Exception e) when (e is RespConnectionException or RespServerException)
                {
                    last[node] = e.Message;
                }

                ok &= last[node].Contains("cluster_state:ok", StringComparison.Ordinal);
            }

            if (ok)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"no cluster_state:ok on nodes {string.Join(',', which)} within {timeout}:\n"
                    + string.Join('\n', last.Select(kv => $"node {kv.Key}: {kv.Value}")));
            }

            await Task.Delay(200);
        }
    }

    /// <summary>For each running node, the slots it says it leads (the <c>myself</c> line of its <c>CLUSTER NODES</c>).</summary>
    public async Task<Dictionary<int, bool[]>> SelfLedSlotsAsync()
    {
        var result = new Dictionary<int, bool[]>();
        foreach (var node in Enumerable.Range(0, Count).Where(i => _nodes[i].IsRunning))
        {
            result[node] = (await SlotLeadersAsync(node))[node];
        }

        return result;
    }

    /// <summary>From <c>CLUSTER NODES</c> as <paramref name="askNode"/> sees it: for each node index, the slots it leads.</summary>
    public async Task<Dictionary<int, bool[]>> SlotLeadersAsync(int askNode)
    {
        var text = await AskAsync(askNode, "CLUSTER", "NODES");
        var result = new Dictionary<int, bool[]>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
            var fields = line.Trim().Split(' ');
            var port = int.Parse(fields[1].Split('@')[0].Split(':')[^1], CultureInfo.InvariantCulture);
            var slots = new bool[16384];
            foreach (var range in fields.Skip(8).Where(f => !f.StartsWith('[')))
            {
                var bounds = range.Split('-');
                var start = int.Parse(bounds[0], CultureInfo.InvariantCulture);
                var end = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
                for (var slot = start; slot <= end; slot++)
                {
                    slots[slot] = true;
                }
            }

            result[port - BasePort] = slots;
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }

        foreach (var client in _admin.Values)
        {
            await client.DisposeAsync();
        }

        for (var i = 0; i < _nodes.Count; i++)
        {
            var lines = _nodes[i].Output.Split('\n');
            _output.WriteLine($"--- node {i} (last {Math.Min(40, lines.Length)} of {lines.Length} lines) ---");
            _output.WriteLine(string.Join('\n', lines.TakeLast(40)));
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private RespClient Admin(int node)
    {
        lock (_admin)
        {
            if (!_admin.TryGetValue(node, out var client))
            {
                client = new RespClient(new RespClientOptions { Port = Port(node), ConnectTimeout = TimeSpan.FromSeconds(2), IoTimeout = TimeSpan.FromSeconds(5) });
                _admin[node] = client;
            }

            return client;
        }
    }
}

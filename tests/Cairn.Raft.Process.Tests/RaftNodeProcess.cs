using System.Globalization;
using Cairn.Testing;

namespace Cairn.Raft.Process.Tests;

/// <summary>One <c>cairn raft-node</c> child process; can be killed with SIGKILL and started again on the same data.</summary>
internal sealed class RaftNodeProcess : IDisposable
{
    private readonly CairnProcess _process;

    public RaftNodeProcess(ulong id, string peers, string dataDir, string secret)
    {
        Id = id;
        Peers = peers;
        DataDir = dataDir;
        Secret = secret;
        _process = new CairnProcess(
            ["raft-node", "--id", id.ToString(CultureInfo.InvariantCulture), "--peers", peers, "--data-dir", dataDir, "--snapshot-entries", "50"],
            environment: new Dictionary<string, string> { ["CAIRN_CLUSTER_SECRET"] = secret });
    }

    public ulong Id { get; }

    public string Peers { get; }

    public string DataDir { get; }

    public string Secret { get; }

    public bool IsRunning => _process.IsRunning;

    public string Output => _process.Output;

    public void Start()
    {
        _process.Start();
        _process.WaitForOutputAsync("serving", TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void Kill() => _process.Kill();

    public void Dispose() => _process.Dispose();
}

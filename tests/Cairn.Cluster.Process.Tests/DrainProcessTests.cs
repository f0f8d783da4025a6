using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Cairn.Client.Resp;
using Cairn.Testing;
using Xunit.Abstractions;

namespace Cairn.Cluster.Process.Tests;

/// <summary>Shrinking a running cluster: a node is drained while clients write, then removed and stopped.</summary>
[Trait("Category", "Process")]
public sealed partial class DrainProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_drained_under_load_hands_over_every_replica_is_removed_and_no_acknowledged_write_is_lost()
    {
        await using var cluster = await ProcessCluster.StartAsync(4, output);
        await using var client = new ClusterClient([.. Enumerable.Range(0, 3).Select(cluster.Address)]);
        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();

        async Task WriteAsync(int writer)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = $"d{writer}:{n}";
                var value = $"v{n}";
                try
                {
                    var reply = await client.ExecuteAsync(key, new RespCommand("SET").Add(key).Add(value));
                    if (reply.Kind == RespReplyKind.SimpleString && reply.Text == "OK")
                    {
                        acknowledged[key] = value;
                        continue;
                    }
                }
                catch (RespConnectionException)
                {
                }

                await Task.Delay(20);
            }
        }

        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(() => WriteAsync(w))).ToArray();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            // The operator's command: it asks for the drain, then follows the placement until node 4 holds nothing.
            var drain = await CairnProcess.RunToExitAsync(["admin", "drain-node", "4", "--seed", cluster.Address(0), "--timeout", "90"], TimeSpan.FromSeconds(120));
            output.WriteLine($"cairn admin drain-node: {drain}");
            Assert.True(drain.ExitCode == 0, drain.ToString());
            Assert.Contains("node 4 is drained", drain.Stdout, StringComparison.Ordinal);
            var placement = await cluster.AskAsync(0, "CAIRN.ADMIN", "PLACEMENT");
            output.WriteLine(placement);
            Assert.Equal(8, NodeReplicas(placement, 1));
            Assert.Equal(8, NodeReplicas(placement, 2));
            Assert.Equal(8, NodeReplicas(placement, 3));
            var remove = await CairnProcess.RunToExitAsync(["admin", "remove-node", "4", "--seed", cluster.Address(1)], TimeSpan.FromSeconds(30));
            Assert.True(remove.ExitCode == 0 && remove.Stdout.StartsWith("OK", StringComparison.Ordinal), remove.ToString());
            Assert.Contains("node 4 removed", await cluster.AskAsync(1, "CAIRN.ADMIN", "PLACEMENT"), StringComparison.Ordinal);
            cluster.Node(3).Kill();
            await Task.Delay(TimeSpan.FromSeconds(1)); // writes go on without node 4
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        await cluster.WaitForStateOkAsync(TimeSpan.FromSeconds(30), 0, 1, 2);
        output.WriteLine($"{acknowledged.Count} writes acknowledged");
        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} writes were acknowledged");
        await VerifyAsync(client, acknowledged);

        // A node holding replicas it took during the drain restarts from its own data: it reopens them (their
        // membership replayed from its log) and the cluster serves every key again.
        Assert.Equal(0, await cluster.Node(0).TerminateAsync(TimeSpan.FromSeconds(20)));
        await cluster.RestartAsync(0);
        await cluster.WaitForStateOkAsync(TimeSpan.FromSeconds(30), 0, 1, 2);
        var after = await cluster.AskAsync(0, "CAIRN.ADMIN", "PLACEMENT");
        Assert.Equal(8, NodeReplicas(after, 1));
        await VerifyAsync(client, acknowledged);
    }

    private static async Task VerifyAsync(ClusterClient client, IReadOnlyDictionary<string, string> acknowledged)
    {
        foreach (var (key, value) in acknowledged)
        {
            var reply = await client.ExecuteUntilAnsweredAsync(key, new RespCommand("GET").Add(key), TimeSpan.FromSeconds(10));
            Assert.True(reply.AsString() == value, $"{key}: expected {value}, read {reply.AsString() ?? "nil"}");
        }
    }

    private static int NodeReplicas(string placement, int node)
    {
        var match = Regex.Match(placement, $@"^node {node} \S+ \S+ replicas=(\d+)", RegexOptions.Multiline);
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
    }
}

using System.CommandLine;
using System.Runtime.InteropServices;
using Cairn.Cli.Config;
using Cairn.Cli.Node;
using Cairn.Meta;
using Cairn.Storage;

namespace Cairn.Cli.Commands;

/// <summary>
/// <c>cairn node --config FILE</c>: runs one node of a cluster written by <c>cairn config cluster</c>. The first
/// start of the nodes bootstraps the cluster; later starts rejoin it from their data.
/// </summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c") { Description = "The node's config file (from cairn config cluster).", Required = true };
        var command = new Command("node", "Run one node of a Cairn cluster.") { config };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult.GetValue(config)!, cancellationToken));
        return command;
    }

    /// <summary>What the node runs with, from its validated config file.</summary>
    internal static NodeSettings Settings(NodeConfig config)
    {
        if (config.Join is not null)
        {
            throw new FormatException("join: entering a running cluster is not supported yet; start the nodes of the initial cluster from their generated files.");
        }

        return new NodeSettings
        {
            ClusterId = config.ClusterId,
            NodeId = config.NodeId,
            DataDirectory = config.DataDir,
            BindAddress = config.BindAddress ?? config.Host,
            ClusterSecret = config.GetClusterSecretBytes(),
            Members = [.. config.Members.Select(m => new NodeMember(m.NodeId, m.Host, m.RespPort, m.RaftPort, Roles(m.Roles)))],
            Replication = config.Replication ?? Math.Min(3, config.Members.Count),
            ShardGroups = config.ShardGroups ?? NodeConfig.DefaultShardGroups(config.Members.Count),
            TickMs = config.TickMs,
            Sync = config.Sync switch
            {
                SyncModes.Always => SyncPolicy.Always,
                SyncModes.Group => SyncPolicy.GroupCommit,
                _ => throw new FormatException($"sync '{config.Sync}': a cluster node's Raft log must be fsynced before it answers; use \"group\" or \"always\"."),
            },
        };
    }

    private static NodeRoles Roles(IReadOnlyList<string> names)
    {
        var roles = NodeRoles.None;
        foreach (var name in names)
        {
            roles |= name switch
            {
                RoleNames.Meta => NodeRoles.Meta,
                RoleNames.Kv => NodeRoles.Kv,
                _ => throw new FormatException($"unknown role '{name}'."),
            };
        }

        return roles;
    }

    private static async Task<int> RunAsync(string path, CancellationToken cancellationToken)
    {
        var config = NodeConfig.Load(path);
        var settings = Settings(config);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var signals = ShutdownSignals.CancelOn(stop);

        await using var node = new ClusterNode(settings);
        node.Start();
        var self = settings.Self;
        var groups = node.Layout.ShardGroups.Count(g => g.Value.Contains(settings.NodeId));
        Console.WriteLine($"cairn node {settings.NodeId} of cluster '{settings.ClusterId}' ({settings.Members.Count} nodes)");
        Console.WriteLine($"  resp:     {self.RespAddress} (Redis Cluster protocol: redis-cli -c -h {self.Host} -p {self.RespPort})");
        Console.WriteLine($"  raft:     {self.RaftAddress}");
        Console.WriteLine($"  data:     {settings.DataDirectory}");
        Console.WriteLine($"  replicas: {groups} of {node.Layout.ShardGroups.Count} shard groups (R={settings.Replication}); control group {(node.Layout.ControlVoters.Contains(settings.NodeId) ? "voter" : "not a member")}");
        Console.WriteLine("Press Ctrl+C to stop.");
        try
        {
            var announced = false;
            while (node.Failure is null)
            {
                await Task.Delay(200, stop.Token);
                if (!announced && node.Router.Topology().StateOk)
                {
                    announced = true;
                    Console.WriteLine("cluster_state:ok — every slot is served");
                }
            }

            await Console.Error.WriteLineAsync($"cairn: error: node {settings.NodeId} stopped: {node.Failure.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
        }

        Console.WriteLine("Stopping...");
        return ExitCodes.Success;
    }
}

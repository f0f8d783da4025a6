using System.CommandLine;
using System.Globalization;
using System.Text;
using Cairn.Cli.Config;

namespace Cairn.Cli.Commands;

/// <summary><c>cairn config</c>: writes the config files nodes and clients start from.</summary>
public static class ConfigCommands
{
    /// <summary>The cluster id <c>cairn config client</c> writes when none is given.</summary>
    internal const string DefaultClientClusterId = "cairn";

    /// <summary>Creates the <c>config</c> command group.</summary>
    public static Command Create()
    {
        var config = new Command("config", "Write the config files of a cluster's nodes and clients.");
        config.Subcommands.Add(CreateCluster());
        config.Subcommands.Add(CreateClient());
        return config;
    }

    private static Command CreateCluster()
    {
        var nodes = new Option<int>("--nodes", "-n") { Description = $"How many nodes (1..{ClusterConfigOptions.MaxNodes}).", Required = true };
        var outDir = new Option<string>("--out", "-o") { Description = "Directory to write node-<i>.json and client.json to (created when missing).", Required = true };
        // Defaults are applied by hand: a validator does not see an option's default value.
        var host = new Option<string?>("--host") { Description = $"Host every node listens on and is reached at (default {ClusterConfigOptions.DefaultHost})." };
        var basePort = new Option<int?>("--base-port")
        {
            Description = $"Node i serves RESP on this port + i and Raft on this port + {ClusterConfigOptions.RaftPortOffset} + i (default {ClusterConfigOptions.DefaultBasePort}).",
        };
        var replication = new Option<int?>("--replication", "-r") { Description = "Replicas per KV shard group (default: min(3, nodes))." };
        var shardGroups = new Option<int?>("--shard-groups") { Description = $"KV shard groups the cluster starts with (default: 2 per node, at most {NodeConfig.MaxShardGroups})." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the configs of a cluster already in the directory." };
        var command = new Command("cluster", "Write the node configs (addresses, roles, data dirs, cluster secret) and client config of an N-node cluster.")
        {
            nodes, outDir, host, basePort, replication, shardGroups, force,
        };

        ClusterConfigOptions Options(System.CommandLine.Parsing.SymbolResult result) => new()
        {
            Nodes = result.GetValue(nodes),
            OutDir = result.GetValue(outDir) ?? string.Empty,
            Host = result.GetValue(host) ?? ClusterConfigOptions.DefaultHost,
            BasePort = result.GetValue(basePort) ?? ClusterConfigOptions.DefaultBasePort,
            Replication = result.GetValue(replication),
            ShardGroups = result.GetValue(shardGroups),
            Force = result.GetValue(force),
        };
        command.Validators.Add(result =>
        {
            // Required options that are missing are reported by the parser already.
            if (result.GetResult(nodes) is not null && result.GetResult(outDir) is not null && Options(result).Check() is { } problem)
            {
                result.AddError(problem);
            }
        });
        command.SetAction(parseResult =>
        {
            var options = Options(parseResult.CommandResult);
            var hadData = Directory.Exists(Path.Combine(options.OutDir, "data"));
            var cluster = ClusterConfigGenerator.Write(options);
            Console.Write(Describe(cluster));
            if (hadData)
            {
                Console.WriteLine($"Note: {Path.Combine(options.OutDir, "data")} holds an earlier cluster's data; delete it before starting these nodes.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateClient()
    {
        var outFile = new Option<string>("--out", "-o") { Description = "The client config file to write.", Required = true };
        var seeds = new Option<string>("--seeds", "-s") { Description = "RESP addresses of the cluster's nodes, host:port,host:port,...", Required = true };
        var clusterId = new Option<string?>("--cluster-id") { Description = $"The cluster's id, as in its node files (default {DefaultClientClusterId})." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the file if it exists." };
        var command = new Command("client", "Write a client config (client.json) naming a cluster's RESP addresses.")
        {
            outFile, seeds, clusterId, force,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(seeds) is not { } text)
            {
                return;
            }

            var list = SplitSeeds(text);
            if (list.Length == 0)
            {
                result.AddError("--seeds must list one or more host:port addresses.");
            }

            foreach (var seed in list.Where(seed => !ConfigFile.TryParseAddress(seed, out _, out _)))
            {
                result.AddError($"--seeds: '{seed}' is not a host:port address.");
            }

            if (result.GetValue(clusterId) is { } id && string.IsNullOrWhiteSpace(id))
            {
                result.AddError("--cluster-id must not be empty.");
            }
        });
        command.SetAction(parseResult =>
        {
            var path = parseResult.GetRequiredValue(outFile);
            var client = new ClientConfig
            {
                ClusterId = parseResult.GetValue(clusterId) ?? DefaultClientClusterId,
                Seeds = SplitSeeds(parseResult.GetRequiredValue(seeds)),
                Password = null,
            }.Validate(path);
            if (File.Exists(path) && !parseResult.GetValue(force))
            {
                throw new IOException($"{Path.GetFullPath(path)} already exists; use --force to overwrite it.");
            }

            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(directory);
            ConfigFile.WriteAtomic(path, [.. client.ToJsonBytes(), (byte)'\n']);
            Console.WriteLine($"Wrote {path} (cluster {client.ClusterId}, seeds {string.Join(",", client.Seeds)}).");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string[] SplitSeeds(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>What <c>cairn config cluster</c> prints: what it wrote, and how to start each node.</summary>
    internal static string Describe(GeneratedCluster cluster)
    {
        var inv = CultureInfo.InvariantCulture;
        var first = cluster.Nodes[0];
        var last = cluster.Nodes[^1];
        var text = new StringBuilder();
        text.Append(inv, $"Wrote {cluster.Nodes.Count} node config{(cluster.Nodes.Count == 1 ? string.Empty : "s")} and {GeneratedCluster.ClientFileName} to {cluster.OutDir}");
        text.Append(inv, $" (cluster {cluster.ClusterId}, replication {first.Replication}, {first.ShardGroups} shard groups).\n");
        text.Append(inv, $"RESP ports {Range(first.RespPort, last.RespPort)}, Raft ports {Range(first.RaftPort, last.RaftPort)} (RESP + {ClusterConfigOptions.RaftPortOffset}) on {first.Host}.\n\n");

        string[] header = ["node", "id", "resp", "raft", "data dir", "start with"];
        var rows = cluster.Nodes.Select((node, i) => new[]
        {
            i.ToString(inv),
            node.NodeId.ToString(inv),
            ConfigFile.FormatAddress(node.Host, node.RespPort),
            ConfigFile.FormatAddress(node.Host, node.RaftPort),
            Path.Combine(cluster.OutDir, node.DataDir),
            $"cairn node --config {cluster.NodePath(i)}",
        }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            text.Append(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd()).Append('\n');
        }

        text.Append(inv, $"\nClients: {cluster.ClientPath} (seeds {string.Join(",", cluster.Client.Seeds.Take(3))}{(cluster.Client.Seeds.Count > 3 ? ",..." : string.Empty)}).\n");
        text.Append("The node files hold the cluster secret and are readable only by you; keep them that way.\n");
        return text.ToString();

        static string Range(int from, int to) => from == to ? from.ToString(CultureInfo.InvariantCulture) : $"{from}-{to}";
    }
}

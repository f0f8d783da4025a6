using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Cairn.Cli.Config;

/// <summary>
/// Writes the configs of an N-node cluster on one host (<c>cairn config cluster</c>): <c>node-0.json</c> ..
/// <c>node-&lt;N-1&gt;.json</c> and <c>client.json</c>. Node i has id i+1, serves RESP on base port + i and Raft on
/// base port + 10000 + i, keeps its data in <c>data/node-&lt;i&gt;</c> next to its file, and has every role; all share
/// one random 32-byte cluster secret.
/// </summary>
public static partial class ClusterConfigGenerator
{
    /// <summary>The bytes of a generated cluster secret.</summary>
    public const int SecretBytes = 32;

    /// <summary>Builds the configs <paramref name="options"/> describe, with a new cluster id and secret, without writing them.</summary>
    /// <exception cref="ArgumentException">The options are invalid (<see cref="ClusterConfigOptions.Check"/>).</exception>
    public static GeneratedCluster Build(ClusterConfigOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Check() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        var clusterId = "cairn-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretBytes));
        var members = Enumerable.Range(0, options.Nodes).Select(i => new ClusterMember
        {
            NodeId = (ulong)i + 1,
            Host = options.Host,
            RespPort = options.RespPort(i),
            RaftPort = options.RaftPort(i),
            Roles = RoleNames.All,
        }).ToArray();
        var bind = System.Net.IPAddress.TryParse(options.Host, out _) ? options.Host : System.Net.IPAddress.Any.ToString();
        var nodes = members.Select((member, i) => new NodeConfig
        {
            ClusterId = clusterId,
            NodeId = member.NodeId,
            Roles = member.Roles,
            DataDir = $"data/node-{i}",
            Host = member.Host,
            RespPort = member.RespPort,
            RaftPort = member.RaftPort,
            BindAddress = bind,
            ClusterSecret = secret,
            Replication = options.Replication ?? Math.Min(3, options.Nodes),
            ShardGroups = options.ShardGroups ?? NodeConfig.DefaultShardGroups(options.Nodes),
            Sync = SyncModes.Group,
            TickMs = NodeConfig.DefaultTickMs,
            Members = members,
            Join = null,
        }).ToArray();
        var client = new ClientConfig { ClusterId = clusterId, Seeds = [.. members.Select(m => m.RespAddress)], Password = null };
        return new GeneratedCluster(options.OutDir, nodes, client);
    }

    /// <summary>
    /// Builds the configs and writes them to <see cref="ClusterConfigOptions.OutDir"/>, each atomically and readable
    /// only by its owner. Without <see cref="ClusterConfigOptions.Force"/> it refuses a directory that already holds
    /// a cluster's configs; with it, it overwrites them and removes node files beyond the new cluster's size.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="IOException">The directory already holds configs and <see cref="ClusterConfigOptions.Force"/> is off, or writing failed.</exception>
    public static GeneratedCluster Write(ClusterConfigOptions options)
    {
        var cluster = Build(options);
        var outDir = Path.GetFullPath(options.OutDir);
        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            // The same checks cairn node runs: a generator bug must not produce a file that node refuses.
            cluster.Nodes[i].Validate(cluster.NodePath(i), outDir);
        }

        cluster.Client.Validate(cluster.ClientPath);

        var existing = ExistingConfigs(outDir);
        if (existing.Count > 0 && !options.Force)
        {
            throw new IOException($"{outDir} already holds {string.Join(", ", existing)}; use --force to overwrite them (the new files have a new cluster secret).");
        }

        Directory.CreateDirectory(outDir);
        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            ConfigFile.WriteAtomic(Path.Combine(outDir, GeneratedCluster.NodeFileName(i)), [.. cluster.Nodes[i].ToJsonBytes(), (byte)'\n']);
        }

        ConfigFile.WriteAtomic(Path.Combine(outDir, GeneratedCluster.ClientFileName), [.. cluster.Client.ToJsonBytes(), (byte)'\n']);

        // Node files of an earlier, larger cluster would hold a stale secret and member list.
        foreach (var name in existing)
        {
            if (NodeFileIndex(name) is { } index && index >= cluster.Nodes.Count)
            {
                File.Delete(Path.Combine(outDir, name));
            }
        }

        return cluster;
    }

    /// <summary>The node and client config files already in <paramref name="directory"/>, in a stable order.</summary>
    private static List<string> ExistingConfigs(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(directory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name == GeneratedCluster.ClientFileName || NodeFileIndex(name) is not null)
            .OrderBy(name => NodeFileIndex(name) ?? int.MaxValue)];
    }

    private static int? NodeFileIndex(string name)
    {
        var match = NodeFilePattern().Match(name);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) ? index : null;
    }

    [GeneratedRegex(@"^node-([0-9]{1,9})\.json$", RegexOptions.CultureInvariant)]
    private static partial Regex NodeFilePattern();
}

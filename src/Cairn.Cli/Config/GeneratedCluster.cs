namespace Cairn.Cli.Config;

/// <summary>What <see cref="ClusterConfigGenerator"/> produced: one config per node and the client config.</summary>
/// <param name="OutDir">The directory the files are (or would be) written to, as given.</param>
/// <param name="Nodes">The node configs in order, node i in <c>node-&lt;i&gt;.json</c>, its data dir relative to <paramref name="OutDir"/>.</param>
/// <param name="Client">The client config, <c>client.json</c>.</param>
public sealed record GeneratedCluster(string OutDir, IReadOnlyList<NodeConfig> Nodes, ClientConfig Client)
{
    /// <summary>The client file's name.</summary>
    public const string ClientFileName = "client.json";

    /// <summary>The cluster's id.</summary>
    public string ClusterId => Client.ClusterId;

    /// <summary>The file name of node <paramref name="index"/>'s config, <c>node-&lt;index&gt;.json</c>.</summary>
    public static string NodeFileName(int index) => $"node-{index}.json";

    /// <summary>The path of node <paramref name="index"/>'s config under <see cref="OutDir"/>.</summary>
    public string NodePath(int index) => Path.Combine(OutDir, NodeFileName(index));

    /// <summary>The path of the client config under <see cref="OutDir"/>.</summary>
    public string ClientPath => Path.Combine(OutDir, ClientFileName);
}

namespace Cairn.Cli.Config;

/// <summary>The roles a node config can name (design §1); small clusters give every node both.</summary>
public static class RoleNames
{
    /// <summary>Member of the control group and host of namespace groups.</summary>
    public const string Meta = "meta";

    /// <summary>Hosts replicas of KV shard groups and serves RESP.</summary>
    public const string Kv = "kv";

    /// <summary>Every role this version knows, in the order files list them.</summary>
    public static IReadOnlyList<string> All { get; } = [Meta, Kv];

    /// <summary>Whether <paramref name="role"/> is a role this version knows (exact, lower case).</summary>
    public static bool IsKnown(string? role) => role is Meta or Kv;
}

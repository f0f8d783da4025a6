namespace Cairn.Meta;

/// <summary>The roles of a node (design §1), as flags.</summary>
[Flags]
public enum NodeRoles
{
    /// <summary>No role; not a valid node.</summary>
    None = 0,

    /// <summary>Member of the control group and host of namespace groups.</summary>
    Meta = 1,

    /// <summary>Hosts KV shard group replicas and serves RESP.</summary>
    Kv = 2,

    /// <summary>A chunk server.</summary>
    Chunk = 4,

    /// <summary>S3, admin HTTP and metrics endpoint.</summary>
    Gateway = 8,

    /// <summary>Every role, as <c>cairn server</c> runs.</summary>
    All = Meta | Kv | Chunk | Gateway,
}

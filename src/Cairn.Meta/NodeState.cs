namespace Cairn.Meta;

/// <summary>Where a node is in its life in the cluster. The only way back is from draining to up (a cancelled drain).</summary>
public enum NodeState
{
    /// <summary>Announced, not yet serving: no replicas are placed on it until it is marked up.</summary>
    Joining = 0,

    /// <summary>Serving; a placement target.</summary>
    Up = 1,

    /// <summary>Being emptied before removal: no new replicas, its replicas and leaders move away.</summary>
    Draining = 2,

    /// <summary>Gone for good. The record stays so that its id is never reused.</summary>
    Removed = 3,
}

namespace Cairn.Raft;

/// <summary>What a log entry carries.</summary>
public enum EntryType
{
    /// <summary>An opaque command for the replicated state machine (or an empty no-op a new leader appends).</summary>
    Normal = 0,

    /// <summary>A membership change. Reserved: membership changes are not implemented yet.</summary>
    ConfChange = 1,
}

namespace Cairn.Raft.Hosting;

/// <summary>A proposal reached a node that does not lead its group; <see cref="LeaderId"/> names who does, if known.</summary>
public sealed class NotLeaderException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public NotLeaderException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NotLeaderException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public NotLeaderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for group <paramref name="groupId"/>, whose leader is <paramref name="leaderId"/> (0 if unknown).</summary>
    public NotLeaderException(ulong groupId, ulong leaderId)
        : base(leaderId == RawNode.None ? $"not leader of group {groupId}, and no leader is known yet" : $"not leader of group {groupId}; the leader is node {leaderId}")
    {
        GroupId = groupId;
        LeaderId = leaderId;
    }

    /// <summary>The group.</summary>
    public ulong GroupId { get; }

    /// <summary>The leader this node knows of, or <see cref="RawNode.None"/>.</summary>
    public ulong LeaderId { get; }
}

namespace Cairn.Kv.Replication;

/// <summary>
/// A write this connection made did not reach its shard group's log, or may not have (the leader changed while it
/// was in flight). The front end closes the connection rather than acknowledge it: the client must treat the
/// outcome as unknown, as after any lost connection.
/// </summary>
public sealed class ReplicationFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ReplicationFailedException()
        : base("A replicated write did not commit (the shard group's leader changed); its outcome is unknown.")
    {
    }
}

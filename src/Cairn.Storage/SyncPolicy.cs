namespace Cairn.Storage;

/// <summary>When an engine makes a write durable before the write returns.</summary>
public enum SyncPolicy
{
    /// <summary>Every write is fsynced before it returns.</summary>
    Always,

    /// <summary>
    /// Concurrent writers share one fsync; each write still returns only after an fsync that covers it.
    /// The default: the durability of <see cref="Always"/> at a fraction of the fsyncs.
    /// </summary>
    GroupCommit,

    /// <summary>
    /// Writes are not fsynced; for state machines whose durability is a Raft log, which record how far they
    /// applied with <see cref="IKvEngine.Checkpoint"/> and replay the log from there after a crash.
    /// </summary>
    None,

    /// <summary>
    /// Writes return once the operating system has them, and a background thread fsyncs every
    /// <see cref="LogStore.LogStoreOptions.SyncInterval"/> (Redis's <c>appendfsync everysec</c>). An acknowledged
    /// write survives the process being killed; a power loss or kernel crash may lose the last interval's writes.
    /// </summary>
    Periodic,
}

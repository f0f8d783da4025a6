using Cairn.Kv.Keyspace;

namespace Cairn.Kv.Replication;

/// <summary>
/// A shard group's keyspace on the node that leads it, for one term: a <see cref="LocalKvBackend"/> over an
/// <see cref="OverlayEngine"/>. It is built once the leader has applied everything committed before its term, and
/// thrown away when the term ends or a proposal fails (its counters and overlay may then be wrong).
/// </summary>
internal sealed class LeaderKeyspace : IDisposable
{
    public LeaderKeyspace(ulong term, OverlayEngine overlay, LocalKvBackend keyspace)
    {
        Term = term;
        Overlay = overlay;
        Keyspace = keyspace;
    }

    public ulong Term { get; }

    public OverlayEngine Overlay { get; }

    public LocalKvBackend Keyspace { get; }

    /// <summary>Set when a proposal failed: the keyspace must be rebuilt before it serves again.</summary>
    public bool Invalid { get; set; }

    public void Dispose() => Keyspace.Dispose(); // stops the expiry sweep; the overlay leaves the committed engine open
}

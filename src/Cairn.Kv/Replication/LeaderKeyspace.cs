using Cairn.Core;
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

    /// <summary>The slots this group has fenced for hand-over: served by nobody here (ADR 0026).</summary>
    public ClosedSlots Closed { get; } = new();

    /// <summary>The group's slot hand-over records as this leader wrote or found them; changed only under the keyspace's gate.</summary>
    public Dictionary<int, (HandoverKind Kind, ulong Epoch)> Handovers { get; private set; } = [];

    /// <summary>Reads the hand-over records the group's state holds and closes the fenced slots: a new leader keeps its predecessor's fences.</summary>
    public void LoadHandovers()
    {
        Handovers = Keyspace.ReadHandovers();
        foreach (var (slot, record) in Handovers)
        {
            if (record.Kind == HandoverKind.Fenced)
            {
                Closed.Close(slot);
            }
        }

        Keyspace.ClosedSlots = Closed;
    }

    public void Dispose() => Keyspace.Dispose(); // stops the expiry sweep; the overlay leaves the committed engine open
}

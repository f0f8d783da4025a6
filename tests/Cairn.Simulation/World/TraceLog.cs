using System.Globalization;
using Cairn.Raft;
using Cairn.Simulation.Kv;

namespace Cairn.Simulation.World;

/// <summary>
/// Every event the world executes, folded into one running hash (two runs of a seed must produce the same hash),
/// with the last few kept in a ring buffer to print when a run fails. Descriptions are formatted only on demand.
/// </summary>
public sealed class TraceLog(int tail)
{
    private readonly TraceEvent[] _ring = new TraceEvent[Math.Max(1, tail)];

    public long Count { get; private set; }

    public ulong Hash { get; private set; } = 0x5EED;

    public void Record(long time, string kind, ulong node, ulong peer, ulong detailHash, object? detail = null)
    {
        Fold(time, kind, node, peer, detailHash);
        _ring[Count % _ring.Length] = new TraceEvent(time, kind, node, peer, detail);
        Count++;
    }

    /// <summary>Folds an event into the hash without keeping it for the tail (ticks would crowd out everything else).</summary>
    public void RecordQuietly(long time, string kind, ulong node, ulong peer, ulong detailHash) => Fold(time, kind, node, peer, detailHash);

    private void Fold(long time, string kind, ulong node, ulong peer, ulong detailHash)
    {
        var hash = StableHash.Combine(Hash, (ulong)time, StableHash.Text(kind));
        Hash = StableHash.Combine(hash, StableHash.Combine(node, peer), detailHash);
    }

    /// <summary>The most recent events, oldest first, one per line.</summary>
    public IEnumerable<string> Tail()
    {
        var first = Math.Max(0, Count - _ring.Length);
        for (var i = first; i < Count; i++)
        {
            yield return _ring[i % _ring.Length].ToString();
        }
    }

    private readonly record struct TraceEvent(long Time, string Kind, ulong Node, ulong Peer, object? Detail)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Time / 1000.0,10:F3}ms {Kind,-14} n{Node}{(Peer != 0 ? $"->{Peer}" : "")} {Describe(Detail)}");

        private static string? Describe(object? detail) => detail switch
        {
            Message m => string.Create(
                CultureInfo.InvariantCulture,
                $"{m.Type} term {m.Term} index {m.Index} logterm {m.LogTerm} entries {m.Entries.Count}{(m.Entries.Count > 0 ? $" [{m.Entries[0].Index}..{m.Entries[^1].Index}]" : "")} commit {m.Commit}{(m.Reject ? $" REJECT hint {m.RejectHint}" : "")}"),
            _ => detail?.ToString(),
        };
    }
}

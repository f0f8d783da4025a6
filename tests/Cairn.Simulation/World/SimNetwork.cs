namespace Cairn.Simulation.World;

/// <summary>
/// The simulated network between endpoints (nodes 1..N, clients from <see cref="SimulatedWorld.FirstClientId"/>):
/// every message gets a random latency (so messages reorder), may be dropped or duplicated, and at arrival is
/// dropped on a cut link (partitions, symmetric or one-way) or held on a clogged link until the link is unclogged.
/// </summary>
public sealed class SimNetwork
{
    private readonly SimulatedWorld _world;
    private readonly HashSet<(ulong From, ulong To)> _cut = [];
    private readonly Dictionary<(ulong From, ulong To), List<Action>> _clogged = [];

    internal SimNetwork(SimulatedWorld world)
    {
        _world = world;
        DropRate = world.Options.DropRate;
        DuplicateRate = world.Options.DuplicateRate;
    }

    public double DropRate { get; set; }

    public double DuplicateRate { get; set; }

    public bool HasFaults => _cut.Count > 0 || _clogged.Count > 0;

    public bool IsCut(ulong from, ulong to) => _cut.Contains((from, to));

    public bool IsClogged(ulong from, ulong to) => _clogged.ContainsKey((from, to));

    /// <summary>Sends one message; <paramref name="deliver"/> runs at the receiver when (and each time) it arrives.</summary>
    /// <param name="lost">
    /// For a message whose sender learns that it failed (a snapshot stream, which a real transport reports): called
    /// one maximum latency after it is dropped or meets a cut link.
    /// </param>
    public void Send(ulong from, ulong to, string kind, ulong detailHash, object detail, Action deliver, Action? lost = null)
    {
        var random = _world.Random;
        if (DropRate > 0 && random.NextDouble() < DropRate)
        {
            _world.Trace.Record(_world.Now, "drop", from, to, detailHash, detail);
            ReportLost(from, to, lost);
            return;
        }

        var copies = DuplicateRate > 0 && random.NextDouble() < DuplicateRate ? 2 : 1;
        for (var copy = 0; copy < copies; copy++)
        {
            var latency = _world.Options.MinLatency + random.NextInt64(_world.Options.MaxLatency - _world.Options.MinLatency + 1);
            _world.Schedule(latency, kind, from, to, detailHash, detail, () => Arrive(from, to, kind, detailHash, detail, deliver, lost));
        }
    }

    private void Arrive(ulong from, ulong to, string kind, ulong detailHash, object detail, Action deliver, Action? lost)
    {
        if (_cut.Contains((from, to)))
        {
            _world.Trace.Record(_world.Now, "cut", from, to, detailHash, detail);
            ReportLost(from, to, lost);
            return;
        }

        if (_clogged.TryGetValue((from, to), out var held))
        {
            // A clogged link delays rather than loses: the message waits for the link to open (FoundationDB's clogging).
            held.Add(() => Arrive(from, to, kind, detailHash, detail, deliver, lost));
            return;
        }

        deliver();
    }

    private void ReportLost(ulong from, ulong to, Action? lost)
    {
        if (lost is not null)
        {
            _world.Schedule(_world.Options.MaxLatency, "lost", from, to, 0, null, lost);
        }
    }

    public void Cut(ulong from, ulong to)
    {
        _cut.Add((from, to));
        _world.Trace.Record(_world.Now, "net-cut", from, to, 0);
    }

    /// <summary>Cuts both directions between every node of <paramref name="side"/> and every node outside it.</summary>
    public void Partition(IReadOnlyCollection<ulong> side)
    {
        foreach (var a in side)
        {
            foreach (var b in _world.NodeIds.Where(b => !side.Contains(b)))
            {
                Cut(a, b);
                Cut(b, a);
            }
        }
    }

    public void Isolate(ulong id) => Partition([id]);

    /// <summary>Lets messages from <paramref name="id"/> out but none in (or the reverse): a one-way partition.</summary>
    public void CutInbound(ulong id)
    {
        foreach (var other in _world.NodeIds.Where(o => o != id))
        {
            Cut(other, id);
        }
    }

    public void CutOutbound(ulong id)
    {
        foreach (var other in _world.NodeIds.Where(o => o != id))
        {
            Cut(id, other);
        }
    }

    public void Clog(ulong from, ulong to)
    {
        if (_clogged.TryAdd((from, to), []))
        {
            _world.Trace.Record(_world.Now, "net-clog", from, to, 0);
        }
    }

    /// <summary>Opens a clogged link; the messages it held arrive in their order, each after a fresh latency.</summary>
    public void Unclog(ulong from, ulong to)
    {
        if (!_clogged.Remove((from, to), out var held))
        {
            return;
        }

        _world.Trace.Record(_world.Now, "net-unclog", from, to, (ulong)held.Count);
        foreach (var arrive in held)
        {
            var latency = _world.Options.MinLatency + _world.Random.NextInt64(_world.Options.MaxLatency - _world.Options.MinLatency + 1);
            _world.Schedule(latency, "release", from, to, 0, null, arrive);
        }
    }

    /// <summary>Removes every cut and opens every clogged link (in link order, so replay does not depend on history).</summary>
    public void Heal()
    {
        if (_cut.Count > 0)
        {
            _cut.Clear();
            _world.Trace.Record(_world.Now, "net-heal", 0, 0, 0);
        }

        foreach (var link in _clogged.Keys.Order().ToList())
        {
            Unclog(link.From, link.To);
        }
    }
}

using System.Collections.Concurrent;
using Cairn.Core;
using Cairn.Kv.Cluster;

namespace Cairn.Kv.Tests.Cluster;

/// <summary>
/// A router with a fixed answer per slot, set by the test, and a record of every question the server asked it.
/// Every slot is served here until the test says otherwise.
/// </summary>
internal sealed class TestClusterRouter : IClusterRouter
{
    private readonly SlotRoute[] _routes = Enumerable.Repeat(SlotRoute.Local, HashSlot.Count).ToArray();

    public TestClusterRouter(ClusterTopology? topology = null)
    {
        Current = topology ?? SampleTopology.Healthy();
    }

    /// <summary>What <see cref="Topology"/> returns.</summary>
    public ClusterTopology Current { get; set; }

    /// <summary>Slots being imported here: served after ASKING, otherwise answered with the route given.</summary>
    public ConcurrentDictionary<int, SlotRoute> Importing { get; } = new();

    /// <summary>Every call to <see cref="Route"/>, in order.</summary>
    public ConcurrentQueue<(int Slot, bool Write, bool ReadOnlyConnection, bool Asking)> Calls { get; } = new();

    public void Set(int slot, SlotRoute route) => _routes[slot] = route;

    public void Set(int first, int last, SlotRoute route)
    {
        for (var slot = first; slot <= last; slot++)
        {
            _routes[slot] = route;
        }
    }

    public SlotRoute Route(int slot, bool write, bool readOnlyConnection, bool asking)
    {
        Calls.Enqueue((slot, write, readOnlyConnection, asking));
        if (Importing.TryGetValue(slot, out var otherwise))
        {
            return asking ? SlotRoute.Local : otherwise;
        }

        return _routes[slot];
    }

    public ClusterTopology Topology() => Current;
}

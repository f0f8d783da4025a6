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

    /// <summary>Slots whose route is <see cref="SlotRouteKind.Ask"/> without ASKING and local with it.</summary>
    public ConcurrentDictionary<int, string> Importing { get; } = new();

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
        if (Importing.TryGetValue(slot, out var source))
        {
            return asking ? SlotRoute.Local : new SlotRoute(SlotRouteKind.Ask, source);
        }

        return _routes[slot];
    }

    public ClusterTopology Topology() => Current;
}

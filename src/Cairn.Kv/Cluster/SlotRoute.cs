namespace Cairn.Kv.Cluster;

/// <summary>Where a command for one slot runs.</summary>
/// <param name="Kind">Here, or which redirection to answer.</param>
/// <param name="Endpoint">For <see cref="SlotRouteKind.Moved"/> and <see cref="SlotRouteKind.Ask"/>: the RESP address (host:port) of the node to ask.</param>
public readonly record struct SlotRoute(SlotRouteKind Kind, string Endpoint = "")
{
    /// <summary>Run the command here.</summary>
    public static SlotRoute Local => new(SlotRouteKind.Local);
}

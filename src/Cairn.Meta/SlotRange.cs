namespace Cairn.Meta;

/// <summary>A run of consecutive slots with one owner, as <c>CLUSTER SLOTS</c> lists them.</summary>
/// <param name="Start">The first slot.</param>
/// <param name="End">The last slot (inclusive).</param>
/// <param name="GroupId">The owning group, or 0 for unowned slots.</param>
public readonly record struct SlotRange(int Start, int End, ulong GroupId);

namespace Cairn.Storage;

/// <summary>One page of an ordered scan.</summary>
/// <param name="Entries">The entries, in ascending key order.</param>
/// <param name="Next">
/// The cursor for the next page (pass it as <c>after</c>), or null when the range holds no more keys.
/// </param>
public sealed record ScanPage(IReadOnlyList<KvEntry> Entries, byte[]? Next);

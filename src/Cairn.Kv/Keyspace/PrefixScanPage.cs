namespace Cairn.Kv.Keyspace;

/// <summary>One key a prefix scan found.</summary>
/// <param name="Key">The key.</param>
/// <param name="Size">The size of its value in bytes (what STRLEN reports).</param>
/// <param name="Value">The value, or null when the scan was asked for keys and sizes only.</param>
public sealed record PrefixScanEntry(byte[] Key, long Size, byte[]? Value);

/// <summary>One page of an ordered prefix scan (<c>CAIRN.SCANPREFIX</c>).</summary>
/// <param name="Entries">The live keys found, in ascending order of their bytes.</param>
/// <param name="ResumeAfter">
/// The last key the scan looked at (returned or skipped because it had expired): the next page starts after it.
/// Null when the scan has reached the end of the prefix.
/// </param>
public sealed record PrefixScanPage(IReadOnlyList<PrefixScanEntry> Entries, byte[]? ResumeAfter);

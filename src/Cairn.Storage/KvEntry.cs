namespace Cairn.Storage;

/// <summary>One key of a scan, with its value unless the scan was keys-only, and the value's size always.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value, or null for a keys-only scan.</param>
/// <param name="Size">The value's size in bytes.</param>
public sealed record KvEntry(byte[] Key, byte[]? Value, int Size);

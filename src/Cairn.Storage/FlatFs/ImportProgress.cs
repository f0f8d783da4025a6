namespace Cairn.Storage.FlatFs;

/// <summary>How far a <see cref="FlatFsImport.Import"/> has come.</summary>
/// <param name="KeysCopied">Keys written to the target so far.</param>
/// <param name="BytesCopied">Bytes of keys and values written to the target so far.</param>
/// <param name="TotalKeys">Keys the source held when the import started.</param>
/// <param name="TotalBytes">Bytes of keys and values the source held when the import started.</param>
public sealed record ImportProgress(long KeysCopied, long BytesCopied, long TotalKeys, long TotalBytes);

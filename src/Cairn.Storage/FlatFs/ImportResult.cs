namespace Cairn.Storage.FlatFs;

/// <summary>What a <see cref="FlatFsImport.Import"/> copied.</summary>
/// <param name="KeysCopied">Keys written to the target.</param>
/// <param name="BytesCopied">Bytes of keys and values written to the target.</param>
/// <param name="Batches">Write batches the copy took.</param>
public sealed record ImportResult(long KeysCopied, long BytesCopied, int Batches);

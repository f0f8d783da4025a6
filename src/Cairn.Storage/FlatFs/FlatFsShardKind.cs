namespace Cairn.Storage.FlatFs;

/// <summary>The go-ds-flatfs shard functions, which name the directory a key's file lives in.</summary>
public enum FlatFsShardKind
{
    /// <summary><c>prefix/N</c>: the first N characters of the key, padded on the right with <c>_</c>.</summary>
    Prefix,

    /// <summary><c>suffix/N</c>: the last N characters of the key, padded on the left with <c>_</c>.</summary>
    Suffix,

    /// <summary>
    /// <c>next-to-last/N</c>: the N characters before the last one, padded on the left with <c>_</c>. IPFS's default
    /// is <c>next-to-last/2</c>.
    /// </summary>
    NextToLast,
}

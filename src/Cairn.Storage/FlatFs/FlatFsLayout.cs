namespace Cairn.Storage.FlatFs;

/// <summary>The names and fixed contents of a go-ds-flatfs store's files.</summary>
internal static class FlatFsLayout
{
    /// <summary>The file that holds the shard function identifier and a newline.</summary>
    public const string ShardingFileName = "SHARDING";

    /// <summary>The read-me go-ds-flatfs writes into stores that use the IPFS default shard function.</summary>
    public const string ReadmeFileName = "_README";

    /// <summary>
    /// Where go-ds-flatfs (and this engine) write temp files; go-ds-flatfs deletes and recreates it on open.
    /// </summary>
    public const string TempDirectoryName = ".temp";

    /// <summary>The prefix of a temp file's name inside <see cref="TempDirectoryName"/>.</summary>
    public const string TempFilePrefix = "temp-";

    /// <summary>The prefix of the temp files older go-ds-flatfs versions wrote inside shard directories.</summary>
    public const string LegacyTempFilePrefix = "put-";

    /// <summary>go-ds-flatfs's cache of the store's disk usage; stale once anyone else writes the store.</summary>
    public const string DiskUsageCacheFileName = "diskUsage.cache";

    /// <summary>This engine's record of the applied index of its last checkpoint; go-ds-flatfs ignores it.</summary>
    public const string CheckpointFileName = "CHECKPOINT";

    /// <summary>The text of <see cref="ReadmeFileName"/>, byte for byte as go-ds-flatfs writes it.</summary>
    public const string Readme = """
        This is a repository of IPLD objects. Each IPLD object is in a single file,
        named <base32 encoding of cid>.data. Where <base32 encoding of cid> is the
        "base32" encoding of the CID (as specified in
        https://github.com/multiformats/multibase) without the 'B' prefix.
        All the object files are placed in a tree of directories, based on a
        function of the CID. This is a form of sharding similar to
        the objects directory in git repositories. Previously, we used
        prefixes, we now use the next-to-last two characters.

            func NextToLast(base32cid string) {
              nextToLastLen := 2
              offset := len(base32cid) - nextToLastLen - 1
              return str[offset : offset+nextToLastLen]
            }

        For example, an object with a base58 CIDv1 of

            zb2rhYSxw4ZjuzgCnWSt19Q94ERaeFhu9uSqRgjSdx9bsgM6f

        has a base32 CIDv1 of

            BAFKREIA22FLID5AJ2KU7URG47MDLROZIH6YF2KALU2PWEFPVI37YLKRSCA

        and will be placed at

            SC/AFKREIA22FLID5AJ2KU7URG47MDLROZIH6YF2KALU2PWEFPVI37YLKRSCA.data

        with 'SC' being the last-to-next two characters and the 'B' at the
        beginning of the CIDv1 string is the multibase prefix that is not
        stored in the filename.

        """;
}

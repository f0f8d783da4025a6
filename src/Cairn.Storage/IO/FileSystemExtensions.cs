namespace Cairn.Storage.IO;

/// <summary>Durable file operations built from <see cref="IFileSystem"/>'s primitives.</summary>
public static class FileSystemExtensions
{
    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="contents"/> atomically and durably: write a temp file,
    /// fsync it, rename it over the target, fsync the directory. A crash leaves the old file or the new one, never
    /// a mix; a leftover <c>.tmp</c> file is the caller's to remove on open.
    /// </summary>
    public static void ReplaceAtomically(this IFileSystem fs, string path, ReadOnlySpan<byte> contents)
    {
        ArgumentNullException.ThrowIfNull(fs);
        var temp = path + ".tmp";
        using (var file = fs.Open(temp, create: true))
        {
            file.Truncate(0);
            file.Write(0, contents);
            file.Sync();
        }

        fs.Rename(temp, path);
        fs.SyncDirectory(Path.GetDirectoryName(path) ?? ".");
    }
}

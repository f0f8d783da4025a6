using Cairn.Storage.LogStore;

namespace Cairn.Cli.Commands;

/// <summary>Opens an existing LogStore directory for an operator command, refusing anything that is not one.</summary>
public static class StoreDirectory
{
    /// <summary>
    /// Opens the LogStore in <paramref name="directory"/> without creating anything and without background
    /// compaction.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">The directory exists but holds no Cairn store.</exception>
    /// <exception cref="IOException">Another process has the store open, or the store cannot be read.</exception>
    public static LogStore OpenExisting(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var fullPath = Path.GetFullPath(directory);
        if (File.Exists(fullPath))
        {
            throw new InvalidDataException($"{fullPath} is a file, not a Cairn store directory.");
        }

        if (!Directory.Exists(fullPath))
        {
            throw new DirectoryNotFoundException($"no Cairn store at {fullPath}: the directory does not exist.");
        }

        if (!LooksLikeStore(fullPath))
        {
            throw new InvalidDataException($"{fullPath} is not a Cairn store: it has no segment (*.log) files and no LOCK file.");
        }

        return LogStore.Open(fullPath, new LogStoreOptions { CreateIfMissing = false, BackgroundCompaction = false });
    }

    /// <summary>
    /// Whether <paramref name="directory"/> holds a LogStore's files. Opening an empty or foreign directory would
    /// otherwise quietly turn it into an empty store.
    /// </summary>
    public static bool LooksLikeStore(string directory) =>
        File.Exists(Path.Combine(directory, "LOCK"))
        || Directory.EnumerateFiles(directory, "*.log").Any()
        || Directory.EnumerateFiles(directory, "*.log.corrupt").Any();
}

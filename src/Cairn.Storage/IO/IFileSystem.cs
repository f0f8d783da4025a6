namespace Cairn.Storage.IO;

/// <summary>
/// The file operations a durable engine needs, behind one seam so that tests can put a fault-injecting disk
/// (lost unsynced writes, torn writes, flipped bits, a full disk) under a real engine.
/// </summary>
/// <remarks>
/// Durability follows POSIX: file contents are durable after <see cref="IStorageFile.Sync"/>; the existence,
/// names and removal of files are durable after <see cref="SyncDirectory"/> on their directory.
/// </remarks>
public interface IFileSystem
{
    /// <summary>Opens a file for reading and writing, creating it when <paramref name="create"/> is set.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist and <paramref name="create"/> is false.</exception>
    IStorageFile Open(string path, bool create);

    /// <summary>Whether a file exists at <paramref name="path"/>.</summary>
    bool FileExists(string path);

    /// <summary>The names (not paths) of the files directly in <paramref name="directory"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    /// <summary>Creates <paramref name="directory"/> and its parents when missing.</summary>
    void CreateDirectory(string directory);

    /// <summary>Whether <paramref name="directory"/> exists.</summary>
    bool DirectoryExists(string directory);

    /// <summary>Removes the file at <paramref name="path"/>; removing a missing file succeeds.</summary>
    void Delete(string path);

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>, atomically replacing any file there.</summary>
    void Rename(string from, string to);

    /// <summary>Makes the creations, renames and removals in <paramref name="directory"/> durable.</summary>
    void SyncDirectory(string directory);

    /// <summary>
    /// Takes an exclusive lock on <paramref name="path"/> that keeps other processes from opening the same store;
    /// the lock is released when the returned object is disposed or the process dies.
    /// </summary>
    /// <exception cref="IOException">Another process holds the lock.</exception>
    IDisposable LockExclusive(string path);
}

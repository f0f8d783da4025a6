namespace Cairn.Storage.IO;

/// <summary>The machine's own file system, with real fsyncs.</summary>
public sealed class LocalFileSystem : IFileSystem
{
    /// <summary>The one instance.</summary>
    public static LocalFileSystem Instance { get; } = new();

    /// <inheritdoc/>
    public IStorageFile Open(string path, bool create) => new LocalFile(path, create);

    /// <inheritdoc/>
    public bool FileExists(string path) => File.Exists(path);

    /// <inheritdoc/>
    public IReadOnlyList<string> ListFiles(string directory) =>
        System.IO.Directory.EnumerateFiles(directory).Select(p => System.IO.Path.GetFileName(p)).ToList();

    /// <inheritdoc/>
    public void CreateDirectory(string directory) => System.IO.Directory.CreateDirectory(directory);

    /// <inheritdoc/>
    public bool DirectoryExists(string directory) => System.IO.Directory.Exists(directory);

    /// <inheritdoc/>
    public void Delete(string path) => File.Delete(path);

    /// <inheritdoc/>
    public void Rename(string from, string to) => File.Move(from, to, overwrite: true);

    /// <inheritdoc/>
    public void SyncDirectory(string directory) => Fsync.SyncDirectory(directory);

    /// <inheritdoc/>
    public IDisposable LockExclusive(string path)
    {
        try
        {
            // On Unix, FileShare.None takes an advisory flock that other processes honour.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{System.IO.Path.GetDirectoryName(path)} is in use by another process (cannot lock {path}).", e);
        }
    }
}

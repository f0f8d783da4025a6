using Microsoft.Win32.SafeHandles;

namespace Cairn.Storage.IO;

/// <summary>A file of the machine's file system, read and written with positional I/O.</summary>
internal sealed class LocalFile : IStorageFile
{
    private readonly SafeFileHandle _handle;

    public LocalFile(string path, bool create)
    {
        Path = path;
        _handle = File.OpenHandle(path, create ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
    }

    public string Path { get; }

    public long Length => RandomAccess.GetLength(_handle);

    public int Read(long offset, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(_handle, buffer[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    public void Write(long offset, ReadOnlySpan<byte> data) => RandomAccess.Write(_handle, data, offset);

    public void Sync() => Fsync.SyncFile(_handle);

    public void Truncate(long length) => RandomAccess.SetLength(_handle, length);

    public void StartWriteback(long offset, long length) => Fsync.StartWriteback(_handle, offset, length);

    public void Dispose() => _handle.Dispose();
}

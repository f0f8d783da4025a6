using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Cairn.Storage.IO;

/// <summary>
/// Durability primitives the engines share: flushing a file's data to the device and making a directory's entries
/// (creates, renames, deletes) durable, which on Linux takes an fsync of the directory itself.
/// </summary>
internal static partial class Fsync
{
    // open(2) flags that are the same on every Linux architecture .NET runs on.
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000;
    private const int Interrupted = 4;
    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE // EINTR: a signal arrived first; the call is simply made again

    /// <summary>Flushes the data of the open file <paramref name="handle"/> to the device (fdatasync on Linux).</summary>
    /// <exception cref="IOException">The flush failed; the file's data may not be durable.</exception>
    public static void SyncFile(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        while (FDataSync(handle) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                throw Error("fsync of a file", errno);
            }
        }
    }

    /// <summary>
    /// Starts writeback of a file range without waiting for it (sync_file_range with SYNC_FILE_RANGE_WRITE on Linux,
    /// nothing elsewhere). A hint: failures are ignored, since the final fsync reports any that matter.
    /// </summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (OperatingSystem.IsLinux() && length > 0)
        {
            _ = SyncFileRange(handle, offset, length, SyncFileRangeWrite);
        }
    }

    /// <summary>Opens the file at <paramref name="path"/> and flushes its data; a missing file is skipped.</summary>
    /// <returns>Whether the file existed.</returns>
    public static bool SyncFile(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, OperatingSystem.IsWindows() ? FileAccess.Write : FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        using (handle)
        {
            SyncFile(handle);
        }

        return true;
    }

    /// <summary>
    /// Makes the entries of the directory at <paramref name="path"/> durable: files created, renamed into or deleted
    /// from it survive a crash once this returns. A no-op on Windows, which has no directory fsync.
    /// </summary>
    /// <exception cref="IOException">The directory could not be opened or synced.</exception>
    public static void SyncDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(path, ReadOnly | CloseOnExec);
        if (fd < 0)
        {
            throw Error($"opening directory '{path}' to fsync it", Marshal.GetLastPInvokeError());
        }

        var result = FSyncDescriptor(fd);
        var errno = Marshal.GetLastPInvokeError();
        _ = Close(fd);
        if (result != 0)
        {
            throw Error($"fsync of directory '{path}'", errno);
        }
    }

    private static IOException Error(string what, int errno) =>
        new($"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSyncDescriptor(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(SafeFileHandle fd);
}

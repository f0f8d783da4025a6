using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Cairn.Storage.IO;

/// <summary>
/// The durability system calls .NET does not expose directly: fdatasync on a file (skipping the inode times a
/// full fsync would also write) and fsync on a directory (which makes file creation and renames durable).
/// </summary>
internal static partial class Fsync
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000; // Linux x86-64 and Arm64

    /// <summary>Makes the data of <paramref name="handle"/> durable.</summary>
    public static void SyncFile(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            using var stream = new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
            stream.Flush(flushToDisk: true);
            return;
        }

        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            while (FDataSync((int)handle.DangerousGetHandle()) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != 4) // EINTR: try again
                {
                    throw new IOException($"fdatasync failed with errno {errno}; the write may not be durable.");
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Makes creations, renames and removals in <paramref name="directory"/> durable.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // other platforms: best effort, no portable directory fsync
        }

        var fd = Open(directory, ORdOnly | ODirectory);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {directory} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"fsync of directory {directory} failed with errno {Marshal.GetLastPInvokeError()}.");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

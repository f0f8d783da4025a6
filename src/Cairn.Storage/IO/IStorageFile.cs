namespace Cairn.Storage.IO;

/// <summary>An open file addressed by offset (positional reads and writes, safe from many threads).</summary>
public interface IStorageFile : IDisposable
{
    /// <summary>The path the file was opened at.</summary>
    string Path { get; }

    /// <summary>The file's current length in bytes.</summary>
    long Length { get; }

    /// <summary>Reads up to <paramref name="buffer"/>'s length at <paramref name="offset"/>; returns the bytes read (0 at the end).</summary>
    int Read(long offset, Span<byte> buffer);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>, growing the file as needed.</summary>
    void Write(long offset, ReadOnlySpan<byte> data);

    /// <summary>Makes every write to this file durable (fdatasync).</summary>
    void Sync();

    /// <summary>Cuts the file to <paramref name="length"/> bytes.</summary>
    void Truncate(long length);

    /// <summary>
    /// Asks the system to start writing [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>)
    /// to the device now, without waiting: a large file written this way as it grows needs a short final
    /// <see cref="Sync"/> instead of one that writes everything. Promises nothing about durability; a hint only.
    /// </summary>
    void StartWriteback(long offset, long length)
    {
    }
}

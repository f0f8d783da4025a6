using System.Buffers.Binary;
using Cairn.Core;
using Cairn.Storage.IO;

namespace Cairn.Storage.LogStore;

/// <summary>
/// The applied index a state machine recorded with <see cref="IKvEngine.Checkpoint"/>, in a small file replaced
/// atomically: <c>"CAIRNCKP" | u64 index | u32 crc32c</c>.
/// </summary>
internal sealed class CheckpointFile
{
    private const string FileName = "CHECKPOINT";
    private const int Size = 20;
    private readonly IFileSystem _fs;
    private readonly string _directory;
    private readonly Lock _writeLock = new();
    private ulong _index;

    public CheckpointFile(IFileSystem fs, string directory)
    {
        _fs = fs;
        _directory = directory;
        var path = Path.Combine(directory, FileName);
        if (!fs.FileExists(path))
        {
            return;
        }

        Span<byte> buffer = stackalloc byte[Size];
        using var file = fs.Open(path, create: false);
        if (file.Read(0, buffer) != Size || !buffer[..8].SequenceEqual("CAIRNCKP"u8) ||
            BinaryPrimitives.ReadUInt32LittleEndian(buffer[16..]) != Crc32C.Compute(buffer[..16]))
        {
            // Replaying from 0 could skip entries the log has already compacted, so refuse rather than guess.
            throw new CorruptionException($"{path} is corrupt; the applied index it held is unknown. Restore the store from a replica.");
        }

        _index = BinaryPrimitives.ReadUInt64LittleEndian(buffer[8..]);
    }

    public ulong Index => Volatile.Read(ref _index);

    /// <summary>Records <paramref name="index"/> durably; the caller has already synced the data it covers.</summary>
    public void Write(ulong index)
    {
        Span<byte> buffer = stackalloc byte[Size];
        "CAIRNCKP"u8.CopyTo(buffer);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[8..], index);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[16..], Crc32C.Compute(buffer[..16]));
        lock (_writeLock)
        {
            _fs.ReplaceAtomically(Path.Combine(_directory, FileName), buffer);
            Volatile.Write(ref _index, index);
        }
    }
}

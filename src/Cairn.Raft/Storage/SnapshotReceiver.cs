using Cairn.Storage;
using Cairn.Storage.IO;

namespace Cairn.Raft.Storage;

/// <summary>
/// A snapshot file arriving from a leader in chunks, written to a temp file. <see cref="Complete"/> verifies it and
/// publishes it atomically; disposing an incomplete receiver discards it.
/// </summary>
public sealed class SnapshotReceiver : IDisposable
{
    private readonly SnapshotStore _store;
    private readonly string _path;
    private readonly string _temp;
    private readonly IStorageFile _file;
    private const long WritebackBytes = 8 * 1024 * 1024;
    private bool _done;
    private long _writebackFrom;

    internal SnapshotReceiver(SnapshotStore store, SnapshotMetadata snapshot, string path)
    {
        _store = store;
        Snapshot = snapshot;
        _path = path;
        _temp = path + ".tmp";
        _file = store.FileSystem.Open(_temp, create: true);
        _file.Truncate(0);
    }

    /// <summary>The snapshot being received.</summary>
    public SnapshotMetadata Snapshot { get; }

    /// <summary>How many bytes have arrived: the offset the next chunk must start at.</summary>
    public long Received { get; private set; }

    /// <summary>Writes the chunk at <paramref name="offset"/>, which must be <see cref="Received"/> (a resent chunk is ignored).</summary>
    /// <exception cref="InvalidOperationException">The chunk leaves a gap.</exception>
    public void WriteChunk(long offset, ReadOnlySpan<byte> chunk)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (offset + chunk.Length <= Received)
        {
            return; // a duplicate
        }

        if (offset > Received)
        {
            throw new InvalidOperationException($"Chunk at {offset} leaves a gap after {Received} bytes of snapshot {Snapshot.Index}.");
        }

        var skip = (int)(Received - offset);
        _file.Write(Received, chunk[skip..]);
        Received += chunk.Length - skip;
        if (Received - _writebackFrom >= WritebackBytes)
        {
            // Written back while the rest arrives, so Complete's fsync is short rather than the whole file.
            _file.StartWriteback(_writebackFrom, Received - _writebackFrom);
            _writebackFrom = Received;
        }
    }

    /// <summary>Verifies the whole file against <see cref="Snapshot"/> and its CRC, then publishes it durably.</summary>
    /// <exception cref="CorruptionException">The bytes do not verify; nothing is published.</exception>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        try
        {
            SnapshotStore.Verify(_temp, _file, Snapshot);
            _file.Sync();
            _file.Dispose();
            _done = true;
            _store.FileSystem.Rename(_temp, _path);
            _store.FileSystem.SyncDirectory(_store.Directory);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Discards an incomplete snapshot.</summary>
    public void Dispose()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        _file.Dispose();
        _store.FileSystem.Delete(_temp);
    }
}

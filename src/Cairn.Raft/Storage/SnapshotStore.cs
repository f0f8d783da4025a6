using System.Buffers.Binary;
using System.Globalization;
using Cairn.Core;
using Cairn.Storage;
using Cairn.Storage.IO;

namespace Cairn.Raft.Storage;

/// <summary>
/// The snapshot files of one Raft group (<c>&lt;index:D20&gt;-&lt;term:D20&gt;.snap</c>), each written atomically (temp
/// file, fsync, rename, directory fsync) and carrying its index, term, membership and a CRC32C that every read checks.
/// </summary>
/// <remarks>
/// A leader's host streams a snapshot to a follower as raw file bytes (<see cref="Length"/>, <see cref="ReadChunk"/>)
/// beside the <see cref="MessageType.Snapshot"/> message; the follower's host writes them with
/// <see cref="BeginReceive"/> and steps the message into its node only after <see cref="SnapshotReceiver.Complete"/>
/// verified and published the file (docs/decisions/0011-raft-snapshots-and-reads.md). Not thread-safe.
/// </remarks>
public sealed class SnapshotStore
{
    private const string Extension = ".snap";
    private const string TempExtension = ".tmp";
    private readonly IFileSystem _fs;

    private SnapshotStore(IFileSystem fs, string directory)
    {
        _fs = fs;
        Directory = directory;
    }

    /// <summary>The directory the snapshots live in.</summary>
    public string Directory { get; }

    /// <summary>Opens (or creates) the store, removing what an interrupted write or receive left behind.</summary>
    public static SnapshotStore Open(IFileSystem fileSystem, string directory)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        fileSystem.CreateDirectory(directory);
        var leftovers = fileSystem.ListFiles(directory).Where(n => n.EndsWith(TempExtension, StringComparison.Ordinal)).ToList();
        foreach (var name in leftovers)
        {
            fileSystem.Delete(Path.Combine(directory, name));
        }

        if (leftovers.Count > 0)
        {
            fileSystem.SyncDirectory(directory);
        }

        return new SnapshotStore(fileSystem, directory);
    }

    /// <summary>The newest snapshot (by index) whose header reads back, or null when there is none.</summary>
    /// <exception cref="CorruptionException">The newest snapshot file's header does not verify.</exception>
    public SnapshotMetadata? Latest()
    {
        var newest = _fs.ListFiles(Directory)
            .Where(n => n.EndsWith(Extension, StringComparison.Ordinal))
            .Select(n => (Name: n, Index: ParseIndex(n)))
            .OrderByDescending(f => f.Index)
            .FirstOrDefault();
        return newest.Name is null ? null : ReadHeader(Path.Combine(Directory, newest.Name));
    }

    /// <summary>Writes a snapshot of <paramref name="stateMachine"/>, which must stand at <paramref name="snapshot"/>'s index.</summary>
    public void Write(SnapshotMetadata snapshot, IRaftStateMachine stateMachine)
    {
        ArgumentNullException.ThrowIfNull(stateMachine);
        Write(snapshot, stateMachine.CreateSnapshot);
    }

    /// <summary>Writes a snapshot whose data <paramref name="writeData"/> produces, atomically and durably.</summary>
    public void Write(SnapshotMetadata snapshot, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(writeData);
        var path = PathOf(snapshot);
        var temp = path + TempExtension;
        using (var file = _fs.Open(temp, create: true))
        {
            file.Truncate(0);
            var header = SnapshotFormat.EncodeHeader(snapshot);
            file.Write(0, header);
            using var data = new AppendStream(file, header.Length, Crc32C.Compute(header));
            writeData(data);
            data.Flush();
            Span<byte> trailer = stackalloc byte[SnapshotFormat.TrailerSize];
            BinaryPrimitives.WriteInt64LittleEndian(trailer, data.Position);
            var crc = Crc32C.Append(data.Crc, trailer[..8]);
            BinaryPrimitives.WriteUInt32LittleEndian(trailer[8..], crc);
            file.Write(header.Length + data.Position, trailer);
            file.Sync();
        }

        _fs.Rename(temp, path);
        _fs.SyncDirectory(Directory);
    }

    /// <summary>Verifies the whole snapshot file, then restores <paramref name="stateMachine"/> from its data.</summary>
    /// <exception cref="CorruptionException">The file does not verify; the state machine is not touched.</exception>
    /// <exception cref="FileNotFoundException">There is no such snapshot.</exception>
    public void Restore(SnapshotMetadata snapshot, IRaftStateMachine stateMachine)
    {
        ArgumentNullException.ThrowIfNull(stateMachine);
        Restore(snapshot, stateMachine.RestoreSnapshot);
    }

    /// <summary>Verifies the whole snapshot file, then hands its data to <paramref name="restore"/>.</summary>
    /// <exception cref="CorruptionException">The file does not verify; <paramref name="restore"/> is not called.</exception>
    /// <exception cref="FileNotFoundException">There is no such snapshot.</exception>
    public void Restore(SnapshotMetadata snapshot, Action<Stream> restore)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(restore);
        var path = PathOf(snapshot);
        using var file = _fs.Open(path, create: false);
        var (headerSize, dataLength) = Verify(path, file, snapshot);
        using var data = new RegionStream(file, headerSize, dataLength, ownsFile: false);
        restore(data);
    }

    /// <summary>
    /// Opens the whole snapshot file (header, data, trailer) for streaming to a follower, which verifies it as it
    /// stores it. The open file stays readable even if the snapshot is deleted meanwhile.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such snapshot.</exception>
    public Stream OpenRead(SnapshotMetadata snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var file = _fs.Open(PathOf(snapshot), create: false);
        return new RegionStream(file, 0, file.Length, ownsFile: true);
    }

    /// <summary>The size in bytes of the snapshot file a sender streams.</summary>
    public long Length(SnapshotMetadata snapshot)
    {
        using var file = _fs.Open(PathOf(snapshot), create: false);
        return file.Length;
    }

    /// <summary>Reads raw file bytes at <paramref name="offset"/> for streaming; returns how many were read (0 at the end).</summary>
    public int ReadChunk(SnapshotMetadata snapshot, long offset, Span<byte> buffer)
    {
        using var file = _fs.Open(PathOf(snapshot), create: false);
        return file.Read(offset, buffer);
    }

    /// <summary>Starts receiving the file of <paramref name="snapshot"/> from a leader, chunk by chunk, in order.</summary>
    public SnapshotReceiver BeginReceive(SnapshotMetadata snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new SnapshotReceiver(this, snapshot, PathOf(snapshot));
    }

    /// <summary>Deletes every snapshot older than <paramref name="keep"/>'s index.</summary>
    public void DeleteOlderThan(SnapshotMetadata keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var old = _fs.ListFiles(Directory).Where(n => n.EndsWith(Extension, StringComparison.Ordinal) && ParseIndex(n) < keep.Index).ToList();
        foreach (var name in old)
        {
            _fs.Delete(Path.Combine(Directory, name));
        }

        if (old.Count > 0)
        {
            _fs.SyncDirectory(Directory);
        }
    }

    internal IFileSystem FileSystem => _fs;

    /// <summary>Checks header, length and CRC of a whole file; returns where the data starts and how long it is.</summary>
    internal static (int HeaderSize, long DataLength) Verify(string path, IStorageFile file, SnapshotMetadata expected)
    {
        var length = file.Length;
        if (length < SnapshotFormat.FixedHeaderSize + SnapshotFormat.TrailerSize)
        {
            throw new CorruptionException($"{path}: {length} bytes, too short to be a snapshot.");
        }

        var header = ReadHeaderBytes(path, file);
        if (!SnapshotFormat.TryDecodeHeader(header, out var actual, out var error))
        {
            throw new CorruptionException($"{path} at offset 0: {error}.");
        }

        if (actual.Index != expected.Index || actual.Term != expected.Term || !actual.ConfState.Equals(expected.ConfState))
        {
            throw new CorruptionException($"{path} at offset 0: the file holds snapshot {actual.Index}/{actual.Term} ({actual.ConfState}), expected {expected.Index}/{expected.Term} ({expected.ConfState}).");
        }

        var crcEnd = length - 4;
        var crc = 0u;
        var buffer = new byte[1024 * 1024];
        for (long at = 0; at < crcEnd;)
        {
            var want = (int)Math.Min(buffer.Length, crcEnd - at);
            var read = file.Read(at, buffer.AsSpan(0, want));
            if (read == 0)
            {
                throw new CorruptionException($"{path} at offset {at}: the file ended while verifying.");
            }

            crc = Crc32C.Append(crc, buffer.AsSpan(0, read));
            at += read;
        }

        Span<byte> trailer = stackalloc byte[SnapshotFormat.TrailerSize];
        ReadExactly(path, file, length - SnapshotFormat.TrailerSize, trailer);
        if (BinaryPrimitives.ReadUInt32LittleEndian(trailer[8..]) != crc)
        {
            throw new CorruptionException($"{path}: CRC mismatch; the snapshot is corrupt.");
        }

        var dataLength = BinaryPrimitives.ReadInt64LittleEndian(trailer);
        if (dataLength != length - header.Length - SnapshotFormat.TrailerSize)
        {
            throw new CorruptionException($"{path} at offset {length - SnapshotFormat.TrailerSize}: the trailer says {dataLength} data bytes, the file holds {length - header.Length - SnapshotFormat.TrailerSize}.");
        }

        return (header.Length, dataLength);
    }

    private string PathOf(SnapshotMetadata snapshot) => Path.Combine(
        Directory,
        snapshot.Index.ToString("D20", CultureInfo.InvariantCulture) + "-" + snapshot.Term.ToString("D20", CultureInfo.InvariantCulture) + Extension);

    private ulong ParseIndex(string name)
    {
        if (name.Length != 20 + 1 + 20 + Extension.Length || !ulong.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            throw new CorruptionException($"{Path.Combine(Directory, name)}: not a snapshot name (<index:D20>-<term:D20>{Extension}).");
        }

        return index;
    }

    private SnapshotMetadata ReadHeader(string path)
    {
        using var file = _fs.Open(path, create: false);
        var header = ReadHeaderBytes(path, file);
        return SnapshotFormat.TryDecodeHeader(header, out var snapshot, out var error)
            ? snapshot
            : throw new CorruptionException($"{path} at offset 0: {error}.");
    }

    private static byte[] ReadHeaderBytes(string path, IStorageFile file)
    {
        var fixedHeader = new byte[SnapshotFormat.FixedHeaderSize];
        ReadExactly(path, file, 0, fixedHeader);
        if (!SnapshotFormat.TryReadFixedHeader(fixedHeader, out var rest, out var error))
        {
            throw new CorruptionException($"{path} at offset 0: {error}.");
        }

        var header = new byte[SnapshotFormat.FixedHeaderSize + rest];
        fixedHeader.CopyTo(header, 0);
        ReadExactly(path, file, SnapshotFormat.FixedHeaderSize, header.AsSpan(SnapshotFormat.FixedHeaderSize));
        return header;
    }

    private static void ReadExactly(string path, IStorageFile file, long offset, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = file.Read(offset + done, buffer[done..]);
            if (read == 0)
            {
                throw new CorruptionException($"{path} at offset {offset + done}: the file ends early.");
            }

            done += read;
        }
    }

    /// <summary>
    /// A write-only stream appending to a file from an offset, keeping a running CRC32C. It gathers small writes into
    /// 1 MiB ones (a state machine may write record by record) and starts writeback as it goes, so the final fsync of
    /// a large snapshot is short.
    /// </summary>
    private sealed class AppendStream(IStorageFile file, long start, uint crc) : Stream
    {
        private const int BufferBytes = 1024 * 1024;
        private const long WritebackBytes = 8 * 1024 * 1024;
        private readonly byte[] _buffer = new byte[BufferBytes];
        private int _buffered;
        private long _flushed; // bytes written to the file
        private long _writebackFrom;

        public uint Crc { get; private set; } = crc;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Position;

        public override long Position
        {
            get => _flushed + _buffered;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Crc = Crc32C.Append(Crc, buffer);
            while (!buffer.IsEmpty)
            {
                if (_buffered == 0 && buffer.Length >= BufferBytes)
                {
                    WriteToFile(buffer); // large writes skip the copy
                    return;
                }

                var take = Math.Min(buffer.Length, BufferBytes - _buffered);
                buffer[..take].CopyTo(_buffer.AsSpan(_buffered));
                _buffered += take;
                buffer = buffer[take..];
                if (_buffered == BufferBytes)
                {
                    Flush();
                }
            }
        }

        public override void Flush()
        {
            if (_buffered > 0)
            {
                var pending = _buffered;
                _buffered = 0;
                WriteToFile(_buffer.AsSpan(0, pending));
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private void WriteToFile(ReadOnlySpan<byte> data)
        {
            file.Write(start + _flushed, data);
            _flushed += data.Length;
            if (_flushed - _writebackFrom >= WritebackBytes)
            {
                file.StartWriteback(start + _writebackFrom, _flushed - _writebackFrom);
                _writebackFrom = _flushed;
            }
        }
    }

    /// <summary>A read-only stream over [start, start + length) of a file.</summary>
    private sealed class RegionStream(IStorageFile file, long start, long length, bool ownsFile) : Stream
    {
        private long _position;

        protected override void Dispose(bool disposing)
        {
            if (disposing && ownsFile)
            {
                file.Dispose();
            }

            base.Dispose(disposing);
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var want = (int)Math.Min(buffer.Length, length - _position);
            if (want <= 0)
            {
                return 0;
            }

            var read = file.Read(start + _position, buffer[..want]);
            _position += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

using System.Buffers;
using Cairn.Core;
using Cairn.Raft.Hosting;
using Cairn.Storage;

namespace Cairn.Kv.Replication;

/// <summary>
/// The state machine of a KV shard group on one replica: the committed engine writes of <see cref="ShardCommand"/>s,
/// applied to a local engine that need not sync (a <c>LogStore</c> with <c>SyncPolicy.None</c>): the Raft log is
/// what is durable, and on restart the host replays it over whatever the engine kept (ADR 0020).
/// </summary>
/// <remarks>
/// Snapshots are fuzzy: the capture reads the live engine on another thread while later commands apply. What it
/// reads of each key is its value at the snapshot's index or a later one; replaying the log after that index, whose
/// commands are all blind writes, brings every key to the same value either way.
/// </remarks>
public sealed class ShardStateMachine : IGroupStateMachine, IDisposable
{
    private static ReadOnlySpan<byte> Magic => "CAIRNSHD1"u8;
    private const int SnapshotPageKeys = 1024;
    private const int RestoreBatchBytes = 4 * 1024 * 1024;

    /// <summary>Creates the state machine over <paramref name="engine"/>, which it owns from now on.</summary>
    public ShardStateMachine(ulong groupId, IKvEngine engine)
    {
        GroupId = groupId;
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
    }

    /// <summary>The shard group.</summary>
    public ulong GroupId { get; }

    /// <summary>The engine the committed state lives in.</summary>
    public IKvEngine Engine { get; }

    /// <summary>The last index applied (0 before any).</summary>
    public ulong AppliedIndex => Volatile.Read(ref _appliedIndex);

    private ulong _appliedIndex;

    /// <summary>Raised on the host's loop thread after a snapshot replaced the whole state.</summary>
    public event Action<ShardStateMachine>? Restored;

    /// <inheritdoc/>
    public byte[]? Apply(ulong index, ReadOnlyMemory<byte> command)
    {
        var batch = ShardCommand.Decode(command.Span); // a FormatException is refused the same way on every replica
        Engine.Write(batch);
        Volatile.Write(ref _appliedIndex, index);
        return null;
    }

    /// <inheritdoc/>
    public void WriteSnapshot(Stream destination) => WriteState(Engine, destination);

    /// <inheritdoc/>
    public Action<Stream> CaptureSnapshot() => destination => WriteState(Engine, destination); // fuzzy, see the remarks

    /// <inheritdoc/>
    public void RestoreSnapshot(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Span<byte> magic = stackalloc byte[Magic.Length];
        source.ReadExactly(magic);
        if (!magic.SequenceEqual(Magic))
        {
            throw new FormatException("The snapshot is not a shard group's (bad magic).");
        }

        Clear();
        var batch = new WriteBatch();
        while (true)
        {
            var keyLength = ReadLength(source);
            if (keyLength == 0)
            {
                break; // the end marker: no key is empty
            }

            var key = ReadBytes(source, keyLength - 1);
            var value = ReadBytes(source, ReadLength(source));
            if (batch.ByteSize + key.Length + value.Length > RestoreBatchBytes || batch.Count >= Limits.MaxBatchCount)
            {
                Engine.Write(batch);
                batch = new WriteBatch();
            }

            batch.Put(key, value);
        }

        if (batch.Count > 0)
        {
            Engine.Write(batch);
        }

        Restored?.Invoke(this);
    }

    /// <summary>Disposes the engine.</summary>
    public void Dispose() => Engine.Dispose();

    private void Clear()
    {
        while (true)
        {
            var page = Engine.Scan(KeyRange.All, null, 4096, keysOnly: true);
            if (page.Entries.Count == 0)
            {
                return;
            }

            var batch = new WriteBatch();
            foreach (var entry in page.Entries)
            {
                batch.Delete(entry.Key);
            }

            Engine.Write(batch);
        }
    }

    /// <summary>Writes every engine record: magic, then (key length + 1, key, value length, value) each, then a 0.</summary>
    private static void WriteState(IKvEngine engine, Stream destination)
    {
        destination.Write(Magic);
        var lengths = new byte[10];
        byte[]? after = null;
        while (true)
        {
            var page = engine.Scan(KeyRange.All, after, SnapshotPageKeys, keysOnly: false);
            foreach (var entry in page.Entries)
            {
                if (entry.Value is not { } value)
                {
                    continue; // deleted between the index and the read
                }

                destination.Write(lengths, 0, Varint.Write(lengths, (ulong)entry.Key.Length + 1));
                destination.Write(entry.Key);
                destination.Write(lengths, 0, Varint.Write(lengths, (ulong)value.Length));
                destination.Write(value);
            }

            if (page.Next is null)
            {
                break;
            }

            after = page.Next;
        }

        destination.WriteByte(0);
    }

    private static int ReadLength(Stream source)
    {
        ulong value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = source.ReadByte();
            if (b < 0)
            {
                throw new FormatException("The snapshot ends inside a length.");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value <= int.MaxValue ? (int)value : throw new FormatException("The snapshot holds a length over 2 GiB.");
            }
        }

        throw new FormatException("The snapshot holds a malformed length.");
    }

    private static byte[] ReadBytes(Stream source, int length)
    {
        if (length > Limits.MaxValueSize + 64)
        {
            throw new FormatException($"The snapshot holds a record of {length} bytes, over the value limit.");
        }

        var bytes = new byte[length];
        source.ReadExactly(bytes);
        return bytes;
    }
}

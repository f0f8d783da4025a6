using System.Text;
using Cairn.Raft.Hosting;

namespace Cairn.Raft.Tests.Hosting;

/// <summary>A replicated key-value register: "key=value" sets and returns the previous value.</summary>
internal sealed class RegisterMachine : IGroupStateMachine
{
    private readonly Dictionary<string, string> _values = [];

    public ulong LastApplied { get; private set; }

    public int Count
    {
        get
        {
            lock (_values)
            {
                return _values.Count;
            }
        }
    }

    public string? Read(string key)
    {
        lock (_values)
        {
            return _values.GetValueOrDefault(key);
        }
    }

    /// <summary>Snapshots taken of this machine.</summary>
    public int SnapshotsWritten { get; private set; }

    /// <summary>Snapshots this machine was restored from.</summary>
    public int SnapshotsRestored { get; private set; }

    public void WriteSnapshot(Stream destination)
    {
        lock (_values)
        {
            using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
            writer.Write(LastApplied);
            writer.Write(_values.Count);
            foreach (var (key, value) in _values.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.Write(key);
                writer.Write(value);
            }

            SnapshotsWritten++;
        }
    }

    public void RestoreSnapshot(Stream source)
    {
        using var reader = new BinaryReader(source, Encoding.UTF8, leaveOpen: true);
        var applied = reader.ReadUInt64();
        var count = reader.ReadInt32();
        var values = new Dictionary<string, string>();
        for (var i = 0; i < count; i++)
        {
            values[reader.ReadString()] = reader.ReadString();
        }

        lock (_values)
        {
            _values.Clear();
            foreach (var (key, value) in values)
            {
                _values[key] = value;
            }

            LastApplied = applied;
            SnapshotsRestored++;
        }
    }

    public byte[]? Apply(ulong index, ReadOnlyMemory<byte> command)
    {
        var text = Encoding.UTF8.GetString(command.Span);
        var split = text.IndexOf('=', StringComparison.Ordinal);
        if (split < 0)
        {
            throw new FormatException($"not a command: {text}");
        }

        lock (_values)
        {
            var previous = _values.GetValueOrDefault(text[..split]);
            _values[text[..split]] = text[(split + 1)..];
            LastApplied = index;
            return previous is null ? null : Encoding.UTF8.GetBytes(previous);
        }
    }
}

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

using System.Globalization;
using System.Text;

namespace Cairn.Client.Resp;

/// <summary>A command to send: its name and arguments, each sent as a bulk string.</summary>
/// <remarks>Arguments are referenced, not copied: do not change their memory until the command has been sent.</remarks>
public sealed class RespCommand
{
    private readonly List<ReadOnlyMemory<byte>> _args = [];

    /// <summary>Starts a command named <paramref name="name"/>.</summary>
    public RespCommand(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _args.Add(Encoding.UTF8.GetBytes(name));
    }

    /// <summary>The command's name.</summary>
    public string Name { get; }

    /// <summary>The name and the arguments.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Arguments => _args;

    /// <summary>The bytes the arguments add up to.</summary>
    public long PayloadBytes => _args.Sum(a => (long)a.Length);

    /// <summary>Adds a binary argument.</summary>
    public RespCommand Add(ReadOnlyMemory<byte> argument)
    {
        _args.Add(argument);
        return this;
    }

    /// <summary>Adds a text argument, as UTF-8.</summary>
    public RespCommand Add(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        _args.Add(Encoding.UTF8.GetBytes(argument));
        return this;
    }

    /// <summary>Adds an integer argument, in decimal.</summary>
    public RespCommand Add(long argument) => Add(argument.ToString(CultureInfo.InvariantCulture));

    /// <summary>The command as text, for messages (long arguments shortened).</summary>
    public override string ToString() =>
        string.Join(' ', _args.Select(a => a.Length > 40 ? $"<{a.Length} bytes>" : Encoding.UTF8.GetString(a.Span)));
}

using System.Text;

namespace Cairn.Kv.Commands;

/// <summary>
/// Every command the server knows, looked up by name without allocating (the name's bytes are matched
/// case-insensitively through a span lookup).
/// </summary>
internal sealed class CommandTable
{
    private readonly Dictionary<string, CommandSpec> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, CommandSpec>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public CommandTable(IEnumerable<CommandSpec> commands)
    {
        foreach (var command in commands)
        {
            _byName.Add(command.Name, command);
        }

        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static CommandTable Default { get; } = new(
        ConnectionCommands.All
            .Concat(StringCommands.All)
            .Concat(KeyCommands.All)
            .Concat(ServerCommands.All)
            .Concat(DatastoreCommands.All)
            .Concat(ClusterCommands.All)
            .Concat(AdminCommands.All));

    public IReadOnlyCollection<CommandSpec> Commands => _byName.Values;

    public bool TryFind(ReadOnlySpan<byte> name, out CommandSpec spec)
    {
        spec = null!;
        if (name.Length is 0 or > 32)
        {
            return false;
        }

        Span<char> chars = stackalloc char[32];
        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] > 127)
            {
                return false;
            }

            chars[i] = (char)name[i];
        }

        return _lookup.TryGetValue(chars[..name.Length], out spec!);
    }

    public bool TryFind(string name, out CommandSpec spec) => TryFind(Encoding.ASCII.GetBytes(name), out spec);
}

namespace Cairn.Kv.Commands;

/// <summary>Runs one command.</summary>
internal delegate void CommandHandler(CommandContext context);

/// <summary>What kind of command it is, for COMMAND's replies and for rules like "no writes before AUTH".</summary>
[Flags]
internal enum CommandFlags
{
    None = 0,
    Write = 1,
    ReadOnly = 2,
    Fast = 4,
    NoAuth = 8,
    Admin = 16,

    /// <summary>
    /// Work that grows with the data or waits (KEYS, SCAN, FLUSHALL, INFO, a sync…): never run on a socket I/O
    /// thread, where it would hold up every other connection served by that thread.
    /// </summary>
    Long = 32,
}

/// <summary>A command's name, arity (Redis's convention: exact when positive, minimum when negative), flags, keys and handler.</summary>
internal sealed record CommandSpec(string Name, int Arity, CommandFlags Flags, int FirstKey, int LastKey, int KeyStep, CommandHandler Handler, string Summary)
{
    public bool ArityMatches(int count) => Arity >= 0 ? count == Arity : count >= -Arity;
}

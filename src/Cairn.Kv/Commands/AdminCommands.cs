using Cairn.Kv.Keyspace;

namespace Cairn.Kv.Commands;

/// <summary>
/// <c>CAIRN.ADMIN verb [args…]</c>: operator commands a cluster node carries out (drain a node, bring it back,
/// remove it, show placement). The node supplies them through <see cref="Server.KvServerOptions.Admin"/>; a server
/// without them (one node) answers that it has none. The reply is one bulk string for a person to read.
/// </summary>
internal static class AdminCommands
{
    public static CommandSpec[] All { get; } =
    [
        new("CAIRN.ADMIN", -2, CommandFlags.Admin | CommandFlags.Long, 0, 0, 0, Admin, "Runs an operator command of the cluster (DRAIN, UNDRAIN, REMOVE, PLACEMENT)."),
    ];

    private static void Admin(CommandContext c)
    {
        if (c.Client.Server.Options.Admin is not { } admin)
        {
            c.Error("ERR this server is not a cluster node; CAIRN.ADMIN has nothing to run");
            return;
        }

        var args = new string[c.Count - 1];
        for (var i = 1; i < c.Count; i++)
        {
            args[i - 1] = c.ArgString(i);
        }

        try
        {
            c.Bulk(System.Text.Encoding.UTF8.GetBytes(admin(args)));
        }
        catch (ArgumentException e)
        {
            throw new KvException("ERR " + e.Message);
        }
        catch (InvalidOperationException e)
        {
            throw new KvException("ERR " + e.Message);
        }
    }
}

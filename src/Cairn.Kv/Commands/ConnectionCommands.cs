using System.Globalization;
using System.Text;
using Cairn.Kv.Resp;
using Cairn.Kv.Server;

namespace Cairn.Kv.Commands;

/// <summary>Commands about the connection itself: PING, ECHO, QUIT, SELECT, HELLO, AUTH, CLIENT.</summary>
internal static class ConnectionCommands
{
    /// <summary>The Redis version Cairn reports, so clients enable the features Cairn has (RESP3, CLIENT SETINFO).</summary>
    public const string RedisVersion = "7.2.0";

    public static IEnumerable<CommandSpec> All { get; } =
    [
        new("PING", -1, CommandFlags.Fast, 0, 0, 0, Ping, "Returns the server's liveliness response."),
        new("ECHO", 2, CommandFlags.Fast, 0, 0, 0, c => c.Bulk(c.Arg(1)), "Returns the given string."),
        new("QUIT", -1, CommandFlags.Fast | CommandFlags.NoAuth, 0, 0, 0, Quit, "Closes the connection."),
        new("SELECT", 2, CommandFlags.Fast, 0, 0, 0, Select, "Changes the selected database (only 0 exists)."),
        new("HELLO", -1, CommandFlags.Fast | CommandFlags.NoAuth, 0, 0, 0, Hello, "Handshakes with the server: protocol version, authentication, name."),
        new("AUTH", -2, CommandFlags.Fast | CommandFlags.NoAuth, 0, 0, 0, Auth, "Authenticates the connection."),
        new("CLIENT", -2, CommandFlags.Long, 0, 0, 0, Client, "Inspects and names client connections."),
        new("RESET", 1, CommandFlags.Fast | CommandFlags.NoAuth, 0, 0, 0, Reset, "Resets the connection."),
    ];

    private static void Ping(CommandContext c)
    {
        if (c.Count > 2)
        {
            c.Error("ERR wrong number of arguments for 'ping' command");
        }
        else if (c.Count == 2)
        {
            c.Bulk(c.Arg(1));
        }
        else
        {
            RespWriter.Raw(c.Reply, "+PONG\r\n"u8);
        }
    }

    private static void Quit(CommandContext c)
    {
        c.Ok();
        c.Client.CloseAfterReply();
    }

    private static void Select(CommandContext c)
    {
        if (!c.TryArgInt64(1, out var index))
        {
            c.Error("ERR value is not an integer or out of range");
        }
        else if (index != 0 && c.Client.Server.Options.Cluster is not null)
        {
            c.Error("ERR SELECT is not allowed in cluster mode");
        }
        else if (index != 0)
        {
            c.Error("ERR DB index is out of range");
        }
        else
        {
            c.Ok();
        }
    }

    private static void Reset(CommandContext c)
    {
        c.Client.Protocol = 2;
        c.Client.Name = null;
        c.Client.Authenticated = !c.Client.Server.Options.RequiresAuth;
        c.Client.User = "default";
        c.Client.ReadOnlyRouting = false;
        c.Client.Asking = false;
        RespWriter.SimpleString(c.Reply, "RESET"u8);
    }

    private static void Hello(CommandContext c)
    {
        var protocol = c.Client.Protocol;
        var at = 1;
        if (c.Count > 1)
        {
            if (!c.TryArgInt64(1, out var version))
            {
                c.Error("ERR Protocol version is not an integer or out of range");
                return;
            }

            if (version is not (2 or 3))
            {
                c.Error("NOPROTO unsupported protocol version");
                return;
            }

            protocol = (int)version;
            at = 2;
        }

        string? name = null;
        for (; at < c.Count; at++)
        {
            if (c.ArgIs(at, "AUTH"u8) && at + 2 < c.Count)
            {
                if (!TryAuthenticate(c, c.ArgString(at + 1), c.ArgString(at + 2)))
                {
                    return;
                }

                at += 2;
            }
            else if (c.ArgIs(at, "SETNAME"u8) && at + 1 < c.Count)
            {
                name = c.ArgString(at + 1);
                if (!IsValidName(name))
                {
                    c.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                    return;
                }

                at++;
            }
            else
            {
                c.Error($"ERR Syntax error in HELLO option '{c.ArgString(at)}'");
                return;
            }
        }

        if (!c.Client.Authenticated)
        {
            c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }

        c.Client.Protocol = protocol;
        if (name is not null)
        {
            c.Client.Name = name;
        }

        RespWriter.MapHeader(c.Reply, protocol, 7);
        RespWriter.Bulk(c.Reply, "server"u8);
        RespWriter.Bulk(c.Reply, "redis"u8);
        RespWriter.Bulk(c.Reply, "version"u8);
        RespWriter.Bulk(c.Reply, RedisVersion);
        RespWriter.Bulk(c.Reply, "proto"u8);
        RespWriter.Integer(c.Reply, protocol);
        RespWriter.Bulk(c.Reply, "id"u8);
        RespWriter.Integer(c.Reply, c.Client.Id);
        RespWriter.Bulk(c.Reply, "mode"u8);
        RespWriter.Bulk(c.Reply, c.Client.Server.Options.Cluster is null ? "standalone"u8 : "cluster"u8);
        RespWriter.Bulk(c.Reply, "role"u8);
        RespWriter.Bulk(c.Reply, "master"u8);
        RespWriter.Bulk(c.Reply, "modules"u8);
        RespWriter.ArrayHeader(c.Reply, 0);
    }

    private static void Auth(CommandContext c)
    {
        if (c.Count > 3)
        {
            c.Error("ERR syntax error");
            return;
        }

        var server = c.Client.Server;
        if (!server.Options.RequiresAuth && server.Config.RequirePass is null)
        {
            c.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }

        var (user, password) = c.Count == 3 ? (c.ArgString(1), c.ArgString(2)) : ("default", c.ArgString(1));
        if (TryAuthenticate(c, user, password))
        {
            c.Ok();
        }
    }

    /// <summary>Checks a user and password; on failure writes WRONGPASS and returns false.</summary>
    private static bool TryAuthenticate(CommandContext c, string user, string password)
    {
        var server = c.Client.Server;
        var expected = user == "default" ? server.Config.RequirePass : server.Options.Users.GetValueOrDefault(user);
        if (user == "default" && expected is null && !server.Options.RequiresAuth)
        {
            expected = password; // the default user has no password: any password is accepted, as in Redis
        }

        if (expected is null || !FixedTimeEquals(expected, password))
        {
            c.Error("WRONGPASS invalid username-password pair or user is disabled.");
            return false;
        }

        c.Client.Authenticated = true;
        c.Client.User = user;
        return true;
    }

    private static bool FixedTimeEquals(string expected, string actual) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(actual));

    private static void Client(CommandContext c)
    {
        var client = c.Client;
        if (c.ArgIs(1, "SETNAME"u8) && c.Count == 3)
        {
            var name = c.ArgString(2);
            if (!IsValidName(name))
            {
                c.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }

            client.Name = name.Length == 0 ? null : name;
            c.Ok();
        }
        else if (c.ArgIs(1, "GETNAME"u8) && c.Count == 2)
        {
            if (client.Name is null)
            {
                c.Null();
            }
            else
            {
                RespWriter.Bulk(c.Reply, client.Name);
            }
        }
        else if (c.ArgIs(1, "ID"u8) && c.Count == 2)
        {
            c.Integer(client.Id);
        }
        else if (c.ArgIs(1, "INFO"u8) && c.Count == 2)
        {
            RespWriter.Verbatim(c.Reply, c.Protocol, Describe(client) + "\n");
        }
        else if (c.ArgIs(1, "LIST"u8))
        {
            var text = new StringBuilder();
            foreach (var other in client.Server.Clients.OrderBy(x => x.Id))
            {
                text.Append(Describe(other)).Append('\n');
            }

            RespWriter.Verbatim(c.Reply, c.Protocol, text.ToString());
        }
        else if (c.ArgIs(1, "SETINFO"u8) && c.Count == 4)
        {
            if (c.ArgIs(2, "LIB-NAME"u8))
            {
                client.LibraryName = c.ArgString(3);
            }
            else if (c.ArgIs(2, "LIB-VER"u8))
            {
                client.LibraryVersion = c.ArgString(3);
            }
            else
            {
                c.Error($"ERR Unrecognized option '{c.ArgString(2)}'");
                return;
            }

            c.Ok();
        }
        else
        {
            c.Error($"ERR unknown subcommand or wrong number of arguments for '{c.ArgString(1)}'. Try CLIENT HELP.");
        }
    }

    private static bool IsValidName(string name) => name.All(ch => ch > ' ' && ch <= '~');

    private static string Describe(ClientConnection client)
    {
        var now = DateTimeOffset.UtcNow;
        return string.Create(CultureInfo.InvariantCulture,
            $"id={client.Id} addr={client.RemoteEndPoint} laddr={client.Server.LocalEndPoint} name={client.Name} " +
            $"age={(long)(now - client.CreatedAt).TotalSeconds} idle={(long)(now - client.LastActivity).TotalSeconds} " +
            $"db=0 user={client.User} resp={client.Protocol} lib-name={client.LibraryName} lib-ver={client.LibraryVersion} cmd={client.LastCommand.ToLowerInvariant()}");
    }
}

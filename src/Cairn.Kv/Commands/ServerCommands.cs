using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Cairn.Kv.Resp;
using Cairn.Kv.Server;

namespace Cairn.Kv.Commands;

/// <summary>Commands about the server: INFO, CONFIG, COMMAND, TIME, WAIT.</summary>
internal static class ServerCommands
{
    private static readonly string[] Sections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "cluster", "keyspace"];

    public static IEnumerable<CommandSpec> All { get; } =
    [
        new("INFO", -1, CommandFlags.Long, 0, 0, 0, Info, "Returns information and statistics about the server."),
        new("CONFIG", -2, CommandFlags.Admin | CommandFlags.Long, 0, 0, 0, Config, "Reads and changes the server's settings."),
        new("COMMAND", -1, CommandFlags.Long, 0, 0, 0, Command, "Returns detailed information about the commands."),
        new("TIME", 1, CommandFlags.Fast, 0, 0, 0, Time, "Returns the server time."),
        new("WAIT", 3, CommandFlags.Long, 0, 0, 0, Wait, "Waits for writes to reach replicas; returns how many acknowledged."),
    ];

    private static void Info(CommandContext c)
    {
        var wanted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < c.Count; i++)
        {
            wanted.Add(c.ArgString(i));
        }

        var all = wanted.Count == 0 || wanted.Contains("all") || wanted.Contains("everything") || wanted.Contains("default");
        var text = new StringBuilder();
        foreach (var section in Sections.Where(s => all || wanted.Contains(s)))
        {
            if (text.Length > 0)
            {
                text.Append("\r\n");
            }

            AppendSection(text, section, c.Client.Server);
        }

        RespWriter.Verbatim(c.Reply, c.Protocol, text.ToString());
    }

    private static void AppendSection(StringBuilder text, string section, RespServer server)
    {
        var inv = CultureInfo.InvariantCulture;
        var uptime = (long)(DateTimeOffset.UtcNow - server.Stats.StartedAt).TotalSeconds;
        var backend = server.Backend;
        void Line(string key, object value) => text.Append(inv, $"{key}:{value}\r\n");
        text.Append("# ").Append(char.ToUpperInvariant(section[0])).Append(section[1..]).Append("\r\n");
        switch (section)
        {
            case "server":
                Line("redis_version", ConnectionCommands.RedisVersion);
                Line("cairn_version", typeof(RespServer).Assembly.GetName().Version?.ToString() ?? "0");
                Line("redis_mode", server.Options.Cluster is null ? "standalone" : "cluster");
                Line("os", RuntimeInformation.OSDescription);
                Line("arch_bits", IntPtr.Size * 8);
                Line("runtime", RuntimeInformation.FrameworkDescription);
                Line("process_id", Environment.ProcessId);
                Line("tcp_port", server.LocalEndPoint?.Port ?? server.Options.Port);
                Line("uptime_in_seconds", uptime);
                Line("uptime_in_days", uptime / 86400);
                break;
            case "clients":
                Line("connected_clients", server.ClientCount);
                Line("maxclients", server.Config.MaxClients);
                Line("blocked_clients", 0);
                break;
            case "memory":
                var used = GC.GetTotalMemory(forceFullCollection: false);
                Line("used_memory", used);
                Line("used_memory_human", $"{used / (1024.0 * 1024.0):F2}M");
                Line("used_memory_rss", Environment.WorkingSet);
                Line("maxmemory", 0);
                break;
            case "persistence":
                Line("loading", 0);
                Line("aof_enabled", 1);
                Line("rdb_changes_since_last_save", 0);
                Line("rdb_bgsave_in_progress", 0);
                Line("aof_rewrite_in_progress", 0);
                break;
            case "stats":
                Line("total_connections_received", server.Stats.ConnectionsReceived);
                Line("total_commands_processed", server.Stats.Commands);
                Line("rejected_connections", server.Stats.RejectedConnections);
                Line("expired_keys", backend.ExpiredKeys);
                break;
            case "replication":
                Line("role", "master");
                Line("connected_slaves", 0);
                break;
            case "cpu":
                var cpu = Environment.CpuUsage;
                Line("used_cpu_sys", cpu.PrivilegedTime.TotalSeconds.ToString("F6", inv));
                Line("used_cpu_user", cpu.UserTime.TotalSeconds.ToString("F6", inv));
                break;
            case "cluster":
                Line("cluster_enabled", server.Options.Cluster is null ? 0 : 1);
                break;
            case "keyspace":
                var keys = backend.Count();
                if (keys > 0)
                {
                    Line("db0", $"keys={keys},expires={backend.ExpiringKeys},avg_ttl=0");
                }

                break;
        }
    }

    private static void Config(CommandContext c)
    {
        var config = c.Client.Server.Config;
        if (c.ArgIs(1, "GET"u8) && c.Count >= 3)
        {
            var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var i = 2; i < c.Count; i++)
            {
                foreach (var (name, value) in config.Matching(c.ArgString(i)))
                {
                    found[name] = value;
                }
            }

            RespWriter.MapHeader(c.Reply, c.Protocol, found.Count);
            foreach (var (name, value) in found)
            {
                RespWriter.Bulk(c.Reply, name);
                RespWriter.Bulk(c.Reply, value);
            }
        }
        else if (c.ArgIs(1, "SET"u8) && c.Count >= 4 && c.Count % 2 == 0)
        {
            for (var i = 2; i < c.Count; i += 2)
            {
                if (config.Set(c.ArgString(i), c.ArgString(i + 1)) is { } error)
                {
                    c.Error(error);
                    return;
                }
            }

            c.Ok();
        }
        else if (c.ArgIs(1, "RESETSTAT"u8) && c.Count == 2)
        {
            c.Ok();
        }
        else
        {
            c.Error($"ERR unknown subcommand or wrong number of arguments for '{c.ArgString(1)}'. Try CONFIG HELP.");
        }
    }

    private static void Command(CommandContext c)
    {
        var table = c.Client.Server.Commands;
        if (c.Count == 1)
        {
            RespWriter.ArrayHeader(c.Reply, table.Commands.Count);
            foreach (var spec in table.Commands)
            {
                WriteCommandInfo(c, spec);
            }
        }
        else if (c.ArgIs(1, "COUNT"u8) && c.Count == 2)
        {
            c.Integer(table.Commands.Count);
        }
        else if (c.ArgIs(1, "INFO"u8))
        {
            var specs = Requested(c, table);
            RespWriter.ArrayHeader(c.Reply, specs.Count);
            foreach (var spec in specs)
            {
                if (spec is null)
                {
                    RespWriter.NullArray(c.Reply, c.Protocol);
                }
                else
                {
                    WriteCommandInfo(c, spec);
                }
            }
        }
        else if (c.ArgIs(1, "DOCS"u8))
        {
            var specs = Requested(c, table).OfType<CommandSpec>().ToList();
            RespWriter.MapHeader(c.Reply, c.Protocol, specs.Count);
            foreach (var spec in specs)
            {
                RespWriter.Bulk(c.Reply, spec.Name.ToLowerInvariant());
                RespWriter.MapHeader(c.Reply, c.Protocol, 3);
                RespWriter.Bulk(c.Reply, "summary"u8);
                RespWriter.Bulk(c.Reply, spec.Summary);
                RespWriter.Bulk(c.Reply, "since"u8);
                RespWriter.Bulk(c.Reply, "1.0.0"u8);
                RespWriter.Bulk(c.Reply, "group"u8);
                RespWriter.Bulk(c.Reply, Group(spec));
            }
        }
        else
        {
            c.Error($"ERR unknown subcommand or wrong number of arguments for '{c.ArgString(1)}'. Try COMMAND HELP.");
        }
    }

    /// <summary>The commands named from argument 2 on (null for unknown names), or all of them when none are named.</summary>
    private static List<CommandSpec?> Requested(CommandContext c, CommandTable table)
    {
        if (c.Count == 2)
        {
            return [.. table.Commands];
        }

        var specs = new List<CommandSpec?>(c.Count - 2);
        for (var i = 2; i < c.Count; i++)
        {
            specs.Add(table.TryFind(c.Arg(i), out var spec) ? spec : null);
        }

        return specs;
    }

    private static string Group(CommandSpec spec) =>
        StringCommands.All.Contains(spec) ? "string"
        : KeyCommands.All.Contains(spec) ? "generic"
        : ConnectionCommands.All.Contains(spec) ? "connection"
        : ClusterCommands.All.Contains(spec) ? "cluster"
        : "server";

    private static void WriteCommandInfo(CommandContext c, CommandSpec spec)
    {
        RespWriter.ArrayHeader(c.Reply, 10);
        RespWriter.Bulk(c.Reply, spec.Name.ToLowerInvariant());
        RespWriter.Integer(c.Reply, spec.Arity);
        var flags = new List<string>();
        if (spec.Flags.HasFlag(CommandFlags.Write))
        {
            flags.Add("write");
        }

        if (spec.Flags.HasFlag(CommandFlags.ReadOnly))
        {
            flags.Add("readonly");
        }

        if (spec.Flags.HasFlag(CommandFlags.Fast))
        {
            flags.Add("fast");
        }

        if (spec.Flags.HasFlag(CommandFlags.NoAuth))
        {
            flags.Add("no_auth");
        }

        if (spec.Flags.HasFlag(CommandFlags.Admin))
        {
            flags.Add("admin");
        }

        RespWriter.SetHeader(c.Reply, c.Protocol, flags.Count);
        foreach (var flag in flags)
        {
            RespWriter.SimpleString(c.Reply, flag);
        }

        RespWriter.Integer(c.Reply, spec.FirstKey);
        RespWriter.Integer(c.Reply, spec.LastKey);
        RespWriter.Integer(c.Reply, spec.KeyStep);
        RespWriter.SetHeader(c.Reply, c.Protocol, 0); // ACL categories
        RespWriter.SetHeader(c.Reply, c.Protocol, 0); // tips
        RespWriter.ArrayHeader(c.Reply, 0); // key specifications
        RespWriter.ArrayHeader(c.Reply, 0); // subcommands
    }

    private static void Time(CommandContext c)
    {
        var now = DateTimeOffset.UtcNow;
        var micros = (now.Ticks - DateTimeOffset.UnixEpoch.Ticks) / 10;
        RespWriter.ArrayHeader(c.Reply, 2);
        RespWriter.Bulk(c.Reply, (micros / 1_000_000).ToString(CultureInfo.InvariantCulture));
        RespWriter.Bulk(c.Reply, (micros % 1_000_000).ToString(CultureInfo.InvariantCulture));
    }

    private static void Wait(CommandContext c)
    {
        if (!c.TryArgInt64(1, out var replicas) || !c.TryArgInt64(2, out var timeout) || replicas < 0)
        {
            c.Error("ERR value is not an integer or out of range");
            return;
        }

        if (timeout < 0)
        {
            c.Error("ERR timeout is negative");
            return;
        }

        c.Integer(0); // one node: no replicas; every acknowledged write is already durable on this node
    }
}

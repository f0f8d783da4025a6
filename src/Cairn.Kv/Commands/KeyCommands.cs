using System.Text;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Resp;

namespace Cairn.Kv.Commands;

/// <summary>Commands on keys whatever their value: DEL, EXISTS, expiry, TYPE, SCAN, KEYS, DBSIZE, FLUSH*.</summary>
internal static class KeyCommands
{
    private const CommandFlags WriteFast = CommandFlags.Write | CommandFlags.Fast;
    private const CommandFlags ReadFast = CommandFlags.ReadOnly | CommandFlags.Fast;

    public static IEnumerable<CommandSpec> All { get; } =
    [
        new("DEL", -2, CommandFlags.Write, 1, -1, 1, Del, "Deletes one or more keys."),
        new("UNLINK", -2, WriteFast, 1, -1, 1, Del, "Asynchronously deletes one or more keys."),
        new("EXISTS", -2, ReadFast, 1, -1, 1, Exists, "Determines whether one or more keys exist."),
        new("EXPIRE", -3, WriteFast, 1, 1, 1, c => Expire(c, 1000, relative: true, "expire"), "Sets the expiration time of a key in seconds."),
        new("PEXPIRE", -3, WriteFast, 1, 1, 1, c => Expire(c, 1, relative: true, "pexpire"), "Sets the expiration time of a key in milliseconds."),
        new("EXPIREAT", -3, WriteFast, 1, 1, 1, c => Expire(c, 1000, relative: false, "expireat"), "Sets the expiration time of a key to a Unix timestamp."),
        new("PEXPIREAT", -3, WriteFast, 1, 1, 1, c => Expire(c, 1, relative: false, "pexpireat"), "Sets the expiration time of a key to a Unix milliseconds timestamp."),
        new("TTL", 2, ReadFast, 1, 1, 1, c => Ttl(c, c.Backend.TimeToLive(c.Arg(1)), 1000), "Returns the expiration time in seconds of a key."),
        new("PTTL", 2, ReadFast, 1, 1, 1, c => Ttl(c, c.Backend.TimeToLive(c.Arg(1)), 1), "Returns the expiration time in milliseconds of a key."),
        new("EXPIRETIME", 2, ReadFast, 1, 1, 1, c => Ttl(c, c.Backend.ExpireTime(c.Arg(1)), 1000), "Returns the expiration time of a key as a Unix timestamp."),
        new("PEXPIRETIME", 2, ReadFast, 1, 1, 1, c => Ttl(c, c.Backend.ExpireTime(c.Arg(1)), 1), "Returns the expiration time of a key as a Unix milliseconds timestamp."),
        new("PERSIST", 2, WriteFast, 1, 1, 1, Persist, "Removes the expiration time of a key."),
        new("TYPE", 2, ReadFast, 1, 1, 1, Type, "Determines the type of value stored at a key."),
        new("SCAN", -2, CommandFlags.ReadOnly | CommandFlags.Long, 0, 0, 0, Scan, "Iterates over the key names in the database."),
        new("KEYS", 2, CommandFlags.ReadOnly | CommandFlags.Long, 0, 0, 0, Keys, "Returns all key names that match a pattern."),
        new("DBSIZE", 1, ReadFast, 0, 0, 0, c => c.Integer(c.Backend.Count()), "Returns the number of keys in the database."),
        new("FLUSHDB", -1, CommandFlags.Write | CommandFlags.Long, 0, 0, 0, Flush, "Removes all keys from the current database."),
        new("FLUSHALL", -1, CommandFlags.Write | CommandFlags.Long, 0, 0, 0, Flush, "Removes all keys from all databases."),
    ];

    private static void Del(CommandContext c)
    {
        var deleted = 0;
        for (var i = 1; i < c.Count; i++)
        {
            c.Wrote(c.Backend.Delete(c.Arg(i), out var existed));
            deleted += existed ? 1 : 0;
        }

        c.Integer(deleted);
    }

    private static void Exists(CommandContext c)
    {
        var found = 0;
        for (var i = 1; i < c.Count; i++)
        {
            found += c.Backend.Exists(c.Arg(i)) ? 1 : 0; // a key named twice counts twice, as in Redis
        }

        c.Integer(found);
    }

    private static void Expire(CommandContext c, long unitMs, bool relative, string command)
    {
        var amount = c.ArgInt64(2);
        var condition = ExpireCondition.Always;
        for (var i = 3; i < c.Count; i++)
        {
            var next = c.ArgIs(i, "NX"u8) ? ExpireCondition.IfNone
                : c.ArgIs(i, "XX"u8) ? ExpireCondition.IfSome
                : c.ArgIs(i, "GT"u8) ? ExpireCondition.IfLater
                : c.ArgIs(i, "LT"u8) ? ExpireCondition.IfSooner
                : throw new KvException($"ERR Unsupported option {c.ArgString(i)}");
            if (condition != ExpireCondition.Always && condition != next)
            {
                throw new KvException("ERR NX and XX, GT or LT options at the same time are not compatible");
            }

            condition = next;
        }

        const long limit = long.MaxValue / 4;
        if (amount > limit / unitMs || amount < -limit / unitMs)
        {
            c.Error($"ERR invalid expire time in '{command}' command");
            return;
        }

        var expireAt = (relative ? c.Client.Server.Now : 0) + (amount * unitMs);
        c.Wrote(c.Backend.Expire(c.Arg(1), Math.Max(expireAt, 1), condition, c.Client.Scratch, out var applied));
        c.Integer(applied ? 1 : 0);
    }

    private static void Ttl(CommandContext c, long value, long unitMs)
    {
        // -1 and -2 mean "no expiry" and "no key"; a time rounds to the nearest unit, as Redis does.
        c.Integer(value < 0 ? value : (value + (unitMs / 2)) / unitMs);
    }

    private static void Persist(CommandContext c)
    {
        c.Wrote(c.Backend.Persist(c.Arg(1), c.Client.Scratch, out var applied));
        c.Integer(applied ? 1 : 0);
    }

    private static void Type(CommandContext c) =>
        RespWriter.SimpleString(c.Reply, c.Backend.Exists(c.Arg(1)) ? "string"u8 : "none"u8);

    private static void Scan(CommandContext c)
    {
        if (!c.TryArgInt64(1, out var cursor) || cursor < 0)
        {
            c.Error("ERR invalid cursor");
            return;
        }

        var count = 10L;
        ReadOnlySpan<byte> pattern = default;
        var hasPattern = false;
        var onlyStrings = true;
        for (var i = 2; i < c.Count; i++)
        {
            if (c.ArgIs(i, "MATCH"u8) && i + 1 < c.Count)
            {
                pattern = c.Arg(++i);
                hasPattern = !pattern.SequenceEqual("*"u8);
            }
            else if (c.ArgIs(i, "COUNT"u8) && i + 1 < c.Count)
            {
                count = c.ArgInt64(++i);
                if (count < 1)
                {
                    throw KvException.Syntax();
                }
            }
            else if (c.ArgIs(i, "TYPE"u8) && i + 1 < c.Count)
            {
                onlyStrings = c.ArgIs(++i, "string"u8); // strings are the only type so far
            }
            else
            {
                throw KvException.Syntax();
            }
        }

        var page = onlyStrings ? c.Backend.Scan(cursor, (int)Math.Min(count, 100_000), pattern, hasPattern) : new KeyScanPage([], 0);
        RespWriter.ArrayHeader(c.Reply, 2);
        RespWriter.Bulk(c.Reply, Encoding.ASCII.GetBytes(page.Cursor.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        RespWriter.ArrayHeader(c.Reply, page.Keys.Count);
        foreach (var key in page.Keys)
        {
            c.Bulk(key);
        }
    }

    private static void Keys(CommandContext c)
    {
        var pattern = c.Arg(1);
        var hasPattern = !pattern.SequenceEqual("*"u8);
        var keys = new List<byte[]>();
        long cursor = 0;
        do
        {
            var page = c.Backend.Scan(cursor, 4096, pattern, hasPattern);
            keys.AddRange(page.Keys);
            cursor = page.Cursor;
        }
        while (cursor != 0);

        RespWriter.ArrayHeader(c.Reply, keys.Count);
        foreach (var key in keys)
        {
            c.Bulk(key);
        }
    }

    private static void Flush(CommandContext c)
    {
        if (c.Count > 2 || (c.Count == 2 && !c.ArgIs(1, "ASYNC"u8) && !c.ArgIs(1, "SYNC"u8)))
        {
            throw KvException.Syntax();
        }

        if (!c.Client.Server.Config.AllowFlush)
        {
            c.Error("ERR FLUSHDB and FLUSHALL are disabled on this server (config enable-flush no)");
            return;
        }

        c.Wrote(c.Backend.FlushAll());
        c.Ok();
    }
}

using Cairn.Kv.Keyspace;
using Cairn.Kv.Resp;

namespace Cairn.Kv.Commands;

/// <summary>String commands: GET, SET and its relatives, counters, MGET/MSET.</summary>
internal static class StringCommands
{
    private const CommandFlags WriteFast = CommandFlags.Write | CommandFlags.Fast;
    private const CommandFlags ReadFast = CommandFlags.ReadOnly | CommandFlags.Fast;

    public static IEnumerable<CommandSpec> All { get; } =
    [
        new("GET", 2, ReadFast, 1, 1, 1, Get, "Returns the string value of a key."),
        new("SET", -3, CommandFlags.Write, 1, 1, 1, Set, "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."),
        new("SETNX", 3, WriteFast, 1, 1, 1, SetNx, "Set the string value of a key only when the key doesn't exist."),
        new("SETEX", 4, CommandFlags.Write, 1, 1, 1, c => SetWithTtl(c, 1000), "Sets the string value and expiration time of a key."),
        new("PSETEX", 4, CommandFlags.Write, 1, 1, 1, c => SetWithTtl(c, 1), "Sets both string value and expiration time in milliseconds of a key."),
        new("GETSET", 3, WriteFast, 1, 1, 1, GetSet, "Returns the previous string value of a key after setting it to a new value."),
        new("GETDEL", 2, WriteFast, 1, 1, 1, GetDel, "Returns the string value of a key after deleting the key."),
        new("GETEX", -2, WriteFast, 1, 1, 1, GetEx, "Returns the string value of a key after setting its expiration time."),
        new("MGET", -2, ReadFast, 1, -1, 1, MGet, "Atomically returns the string values of one or more keys."),
        new("MSET", -3, CommandFlags.Write, 1, -1, 2, c => MSet(c, onlyIfNoneExist: false), "Atomically creates or modifies the string values of one or more keys."),
        new("MSETNX", -3, CommandFlags.Write, 1, -1, 2, c => MSet(c, onlyIfNoneExist: true), "Atomically modifies the string values of one or more keys only when all keys don't exist."),
        new("STRLEN", 2, ReadFast, 1, 1, 1, c => c.Integer(c.Backend.StrLen(c.Arg(1))), "Returns the length of a string value."),
        new("APPEND", 3, WriteFast, 1, 1, 1, Append, "Appends a string to the value of a key. Creates the key if it doesn't exist."),
        new("INCR", 2, WriteFast, 1, 1, 1, c => Increment(c, 1), "Increments the integer value of a key by one."),
        new("DECR", 2, WriteFast, 1, 1, 1, c => Increment(c, -1), "Decrements the integer value of a key by one."),
        new("INCRBY", 3, WriteFast, 1, 1, 1, c => Increment(c, c.ArgInt64(2)), "Increments the integer value of a key by a number."),
        new("DECRBY", 3, WriteFast, 1, 1, 1, DecrBy, "Decrements a number from the integer value of a key."),
    ];

    private static void Get(CommandContext c)
    {
        if (c.Backend.TryGet(c.Arg(1), c.Client.Values))
        {
            c.Bulk(c.Client.Values.Value);
        }
        else
        {
            c.Null();
        }
    }

    private static void Set(CommandContext c)
    {
        var options = ParseSetOptions(c, 3, "set");
        var result = c.Backend.Set(c.Arg(1), c.Arg(2), options, options.ReturnPrevious ? c.Client.Values : null);
        c.Wrote(result.Token);
        if (options.ReturnPrevious)
        {
            if (result.HadPrevious)
            {
                c.Bulk(c.Client.Values.Value);
            }
            else
            {
                c.Null();
            }
        }
        else if (result.Written)
        {
            c.Ok();
        }
        else
        {
            c.Null();
        }
    }

    /// <summary>Parses SET's options from argument <paramref name="from"/> on, as Redis does.</summary>
    private static SetOptions ParseSetOptions(CommandContext c, int from, string command)
    {
        var condition = SetCondition.Always;
        long expireAt = 0;
        var keepTtl = false;
        var get = false;
        var expirySeen = false;
        for (var i = from; i < c.Count; i++)
        {
            if (c.ArgIs(i, "NX"u8) && condition == SetCondition.Always)
            {
                condition = SetCondition.IfAbsent;
            }
            else if (c.ArgIs(i, "XX"u8) && condition == SetCondition.Always)
            {
                condition = SetCondition.IfPresent;
            }
            else if (c.ArgIs(i, "GET"u8))
            {
                get = true;
            }
            else if (c.ArgIs(i, "KEEPTTL"u8) && !expirySeen)
            {
                keepTtl = true;
                expirySeen = true;
            }
            else if (!expirySeen && i + 1 < c.Count && (c.ArgIs(i, "EX"u8) || c.ArgIs(i, "PX"u8) || c.ArgIs(i, "EXAT"u8) || c.ArgIs(i, "PXAT"u8)))
            {
                var amount = c.ArgInt64(i + 1);
                expireAt = ExpiryTime.ToUnixMs(c, i, amount, command);
                expirySeen = true;
                i++;
            }
            else
            {
                throw KvException.Syntax();
            }
        }

        return new SetOptions(condition, expireAt, keepTtl, get);
    }

    private static void SetNx(CommandContext c)
    {
        var result = c.Backend.Set(c.Arg(1), c.Arg(2), new SetOptions(SetCondition.IfAbsent, 0, false, false), null);
        c.Wrote(result.Token);
        c.Integer(result.Written ? 1 : 0);
    }

    private static void SetWithTtl(CommandContext c, long unitMs)
    {
        var amount = c.ArgInt64(2);
        if (amount <= 0 || amount > long.MaxValue / unitMs / 2)
        {
            c.Error($"ERR invalid expire time in '{(unitMs == 1 ? "psetex" : "setex")}' command");
            return;
        }

        var expireAt = c.Client.Server.Now + (amount * unitMs);
        var result = c.Backend.Set(c.Arg(1), c.Arg(3), new SetOptions(SetCondition.Always, expireAt, false, false), null);
        c.Wrote(result.Token);
        c.Ok();
    }

    private static void GetSet(CommandContext c)
    {
        var result = c.Backend.Set(c.Arg(1), c.Arg(2), new SetOptions(SetCondition.Always, 0, false, true), c.Client.Values);
        c.Wrote(result.Token);
        if (result.HadPrevious)
        {
            c.Bulk(c.Client.Values.Value);
        }
        else
        {
            c.Null();
        }
    }

    private static void GetDel(CommandContext c)
    {
        c.Wrote(c.Backend.GetDelete(c.Arg(1), c.Client.Values, out var found));
        if (found)
        {
            c.Bulk(c.Client.Values.Value);
        }
        else
        {
            c.Null();
        }
    }

    private static void GetEx(CommandContext c)
    {
        long expireAt = 0;
        var persist = false;
        if (c.Count == 3 && c.ArgIs(2, "PERSIST"u8))
        {
            persist = true;
        }
        else if (c.Count == 4 && (c.ArgIs(2, "EX"u8) || c.ArgIs(2, "PX"u8) || c.ArgIs(2, "EXAT"u8) || c.ArgIs(2, "PXAT"u8)))
        {
            expireAt = ExpiryTime.ToUnixMs(c, 2, c.ArgInt64(3), "getex");
        }
        else if (c.Count != 2)
        {
            throw KvException.Syntax();
        }

        c.Wrote(c.Backend.GetExpire(c.Arg(1), c.Client.Values, expireAt, persist, out var found));
        if (found)
        {
            c.Bulk(c.Client.Values.Value);
        }
        else
        {
            c.Null();
        }
    }

    private static void MGet(CommandContext c)
    {
        RespWriter.ArrayHeader(c.Reply, c.Count - 1);
        for (var i = 1; i < c.Count; i++)
        {
            if (c.Backend.TryGet(c.Arg(i), c.Client.Values))
            {
                c.Bulk(c.Client.Values.Value);
            }
            else
            {
                c.Null();
            }
        }
    }

    private static void MSet(CommandContext c, bool onlyIfNoneExist)
    {
        if ((c.Count - 1) % 2 != 0)
        {
            c.Error($"ERR wrong number of arguments for '{(onlyIfNoneExist ? "msetnx" : "mset")}' command");
            return;
        }

        var pairs = new List<(byte[] Key, byte[] Value)>((c.Count - 1) / 2);
        for (var i = 1; i < c.Count; i += 2)
        {
            pairs.Add((c.Arg(i).ToArray(), c.Arg(i + 1).ToArray()));
        }

        c.Wrote(c.Backend.SetMany(pairs, onlyIfNoneExist, out var applied));
        if (onlyIfNoneExist)
        {
            c.Integer(applied ? 1 : 0);
        }
        else
        {
            c.Ok();
        }
    }

    private static void Append(CommandContext c)
    {
        c.Wrote(c.Backend.Append(c.Arg(1), c.Arg(2), c.Client.Scratch, out var length));
        c.Integer(length);
    }

    private static void Increment(CommandContext c, long delta)
    {
        c.Wrote(c.Backend.IncrementBy(c.Arg(1), delta, c.Client.Scratch, out var result));
        c.Integer(result);
    }

    private static void DecrBy(CommandContext c)
    {
        var delta = c.ArgInt64(2);
        if (delta == long.MinValue)
        {
            throw new KvException("ERR decrement would overflow");
        }

        Increment(c, -delta);
    }
}

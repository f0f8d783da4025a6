using Cairn.Kv.Keyspace;

namespace Cairn.Kv.Commands;

/// <summary>Turns EX / PX / EXAT / PXAT amounts into an absolute time in Unix milliseconds, refusing what Redis refuses.</summary>
internal static class ExpiryTime
{
    // Redis caps expiry arithmetic well inside a long; so do we.
    private const long MaxMs = long.MaxValue / 4;

    /// <summary>Argument <paramref name="unitArg"/> is the unit (EX, PX, EXAT, PXAT); <paramref name="amount"/> follows it.</summary>
    public static long ToUnixMs(CommandContext c, int unitArg, long amount, string command)
    {
        if (amount <= 0)
        {
            throw new KvException($"ERR invalid expire time in '{command}' command");
        }

        var now = c.Client.Server.Now;
        long at;
        if (c.ArgIs(unitArg, "EX"u8))
        {
            at = amount > MaxMs / 1000 ? -1 : now + (amount * 1000);
        }
        else if (c.ArgIs(unitArg, "PX"u8))
        {
            at = amount > MaxMs ? -1 : now + amount;
        }
        else if (c.ArgIs(unitArg, "EXAT"u8))
        {
            at = amount > MaxMs / 1000 ? -1 : amount * 1000;
        }
        else
        {
            at = amount > MaxMs ? -1 : amount;
        }

        return at > 0 ? at : throw new KvException($"ERR invalid expire time in '{command}' command");
    }
}

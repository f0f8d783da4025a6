using System.Text;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Resp;

namespace Cairn.Kv.Commands;

/// <summary>
/// Commands that carry the IDatastore contract (go-datastore) without loss, for clients that need more than
/// GET/SET: an ordered, resumable prefix scan with sizes and optionally values, a size lookup, and a sync.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>CAIRN.SCANPREFIX prefix cursor [COUNT n] [VALUES]</c>: the keys that start with <c>prefix</c> (empty:
/// every key), in ascending order of their bytes, after <c>cursor</c> (<c>0</c> to start; otherwise the cursor the
/// previous reply returned, see <see cref="PrefixScanCursor"/>: stateless, valid on any connection and across
/// restarts). COUNT is 1 to <see cref="MaxCount"/>, default <see cref="DefaultCount"/>. Reply: a two-element array,
/// the next cursor (bulk string, <c>0</c> when the scan is done) and an array with, per key, the key (bulk), its
/// value's size (integer) and, with VALUES, the value (bulk): <c>[cursor, [key1, size1, (value1), key2, …]]</c>,
/// flat like SCAN's and HSCAN's replies. A page holds at most COUNT keys and, with VALUES, stops early after
/// <see cref="MaxValueBytesPerPage"/> bytes of values; a page may be empty while the cursor is not 0. Expired keys
/// are skipped. Keys written during a scan may or may not be seen; a key present for the whole scan is returned
/// exactly once.</item>
/// <item><c>CAIRN.GETSIZE key</c>: the size in bytes of the key's value (integer), or <c>-1</c> when the key is
/// absent. Unlike STRLEN, it tells an absent key from an empty value.</item>
/// <item><c>CAIRN.SYNC [prefix]</c>: makes every write applied so far durable (fsync), whatever the server's sync
/// policy; the prefix is accepted and ignored (everything is synced). Reply: OK.</item>
/// </list>
/// </remarks>
internal static class DatastoreCommands
{
    /// <summary>The most keys one CAIRN.SCANPREFIX page may ask for.</summary>
    public const int MaxCount = 10_000;

    /// <summary>The keys per page when COUNT is not given.</summary>
    public const int DefaultCount = 100;

    /// <summary>With VALUES, a page ends once its values add up to this many bytes (8 MiB).</summary>
    public const long MaxValueBytesPerPage = 8L * 1024 * 1024;

    public static IEnumerable<CommandSpec> All { get; } =
    [
        new("CAIRN.SCANPREFIX", -3, CommandFlags.ReadOnly | CommandFlags.Long, 0, 0, 0, ScanPrefix, "Returns the next page of keys that start with a prefix, in byte order, with their sizes and optionally values."),
        new("CAIRN.GETSIZE", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, GetSize, "Returns the size of a key's value, or -1 when the key does not exist."),
        new("CAIRN.SYNC", -1, CommandFlags.Long, 0, 0, 0, Sync, "Makes every write so far durable."),
    ];

    private static void ScanPrefix(CommandContext c)
    {
        if (!PrefixScanCursor.TryDecode(c.Arg(2), out var after))
        {
            c.Error("ERR invalid cursor");
            return;
        }

        var count = (long)DefaultCount;
        var withValues = false;
        for (var i = 3; i < c.Count; i++)
        {
            if (c.ArgIs(i, "COUNT"u8) && i + 1 < c.Count)
            {
                count = c.ArgInt64(++i);
                if (count is < 1 or > MaxCount)
                {
                    c.Error($"ERR COUNT must be between 1 and {MaxCount}");
                    return;
                }
            }
            else if (c.ArgIs(i, "VALUES"u8))
            {
                withValues = true;
            }
            else
            {
                throw KvException.Syntax();
            }
        }

        var page = c.Backend.ScanPrefix(c.Arg(1), after, (int)count, withValues, MaxValueBytesPerPage);
        RespWriter.ArrayHeader(c.Reply, 2);
        RespWriter.Bulk(c.Reply, Encoding.ASCII.GetBytes(PrefixScanCursor.Encode(page.ResumeAfter)));
        RespWriter.ArrayHeader(c.Reply, page.Entries.Count * (withValues ? 3 : 2));
        foreach (var entry in page.Entries)
        {
            c.Bulk(entry.Key);
            c.Integer(entry.Size);
            if (withValues)
            {
                c.Bulk(entry.Value);
            }
        }
    }

    private static void GetSize(CommandContext c) => c.Integer(c.Backend.GetSize(c.Arg(1)));

    private static void Sync(CommandContext c)
    {
        c.Backend.Sync();
        c.Ok();
    }
}

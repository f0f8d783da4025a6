namespace Cairn.Kv.Keyspace;

/// <summary>
/// The cursors of <c>CAIRN.SCANPREFIX</c>: stateless, so a scan resumes on any connection and after a restart.
/// <c>0</c> starts a scan and, returned, ends it; any other cursor is <c>k</c> followed by the lowercase hex of the
/// last key the previous page looked at, and the next page starts strictly after that key.
/// </summary>
/// <remarks>Clients treat cursors as opaque strings and pass back what they were given.</remarks>
public static class PrefixScanCursor
{
    /// <summary>The cursor that starts a scan and marks its end.</summary>
    public const string Start = "0";

    /// <summary>The cursor that resumes after <paramref name="resumeAfter"/>; <see cref="Start"/> when null (the scan is done).</summary>
    public static string Encode(byte[]? resumeAfter) =>
        resumeAfter is null ? Start : "k" + Convert.ToHexStringLower(resumeAfter);

    /// <summary>
    /// Reads a cursor: <paramref name="after"/> is null for <see cref="Start"/>, else the key to resume after.
    /// </summary>
    /// <returns>False when <paramref name="cursor"/> is not a cursor this class made.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> cursor, out byte[]? after)
    {
        after = null;
        if (cursor.SequenceEqual("0"u8))
        {
            return true;
        }

        if (cursor.IsEmpty || cursor[0] != (byte)'k' || (cursor.Length - 1) % 2 != 0)
        {
            return false;
        }

        var hex = cursor[1..];
        var key = new byte[hex.Length / 2];
        for (var i = 0; i < key.Length; i++)
        {
            var high = HexValue(hex[2 * i]);
            var low = HexValue(hex[(2 * i) + 1]);
            if (high < 0 || low < 0)
            {
                return false;
            }

            key[i] = (byte)((high << 4) | low);
        }

        after = key;
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}

using System.Globalization;

namespace Cairn.Cli.Admin;

/// <summary>Cairn's node ids in Redis's form: a node id n is written as 40 hex digits, n zero-padded.</summary>
internal static class NodeIds
{
    /// <summary>The numeric Cairn node id a 40-hex-digit Redis node id stands for, or null when it is not one.</summary>
    public static ulong? ToNumber(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var digits = id.TrimStart('0');
        if (digits.Length == 0)
        {
            return id.Length > 0 ? 0 : null;
        }

        return digits.Length <= 16 && ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
    }

    /// <summary>The short form people read: the numeric id, or the first 8 hex digits when the id is not a Cairn one.</summary>
    public static string Short(string id) =>
        ToNumber(id) is { } number ? number.ToString(CultureInfo.InvariantCulture) : id[..Math.Min(8, id.Length)];
}

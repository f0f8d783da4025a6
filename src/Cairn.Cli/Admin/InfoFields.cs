using System.Globalization;

namespace Cairn.Cli.Admin;

/// <summary>Parses the <c>key:value</c> text of <c>INFO</c> and <c>CLUSTER INFO</c>.</summary>
internal static class InfoFields
{
    /// <summary>Every <c>key:value</c> line; section headers (<c># Keyspace</c>) and blank lines are skipped.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] == '#' || colon <= 0)
            {
                continue;
            }

            fields[line[..colon]] = line[(colon + 1)..];
        }

        return fields;
    }

    /// <summary>
    /// The key count of <c>db0</c> in <c>INFO keyspace</c> (<c>db0:keys=N,expires=…</c>); 0 when the section has no
    /// <c>db0</c> line, which is how Redis reports an empty database.
    /// </summary>
    /// <exception cref="FormatException">The <c>db0</c> line has no keys count.</exception>
    public static long Db0Keys(string text)
    {
        if (!Parse(text).TryGetValue("db0", out var db0))
        {
            return 0;
        }

        foreach (var part in db0.Split(','))
        {
            if (part.StartsWith("keys=", StringComparison.Ordinal)
                && long.TryParse(part.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var keys))
            {
                return keys;
            }
        }

        throw new FormatException($"INFO keyspace: 'db0:{db0}' has no keys count.");
    }
}

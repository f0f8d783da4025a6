using System.Globalization;

namespace Cairn.Storage.FlatFs;

/// <summary>
/// A go-ds-flatfs shard function: which directory under the store a key's file is placed in. Its text form, stored
/// in the store's <c>SHARDING</c> file, is <c>/repo/flatfs/shard/v1/{name}/{N}</c>.
/// </summary>
public sealed record FlatFsShardFunction
{
    /// <summary>The prefix every shard function identifier starts with.</summary>
    public const string IdentifierPrefix = "/repo/flatfs/shard/";

    /// <summary>The largest parameter accepted: a shard directory name must fit a file name.</summary>
    public const int MaxParameter = 255;

    private FlatFsShardFunction(FlatFsShardKind kind, int parameter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parameter, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parameter, MaxParameter);
        Kind = kind;
        Parameter = parameter;
    }

    /// <summary>IPFS's default, <c>next-to-last/2</c>, which new stores use unless told otherwise.</summary>
    public static FlatFsShardFunction Default { get; } = NextToLast(2);

    /// <summary>The function.</summary>
    public FlatFsShardKind Kind { get; }

    /// <summary>Its parameter N: how many characters name a shard directory.</summary>
    public int Parameter { get; }

    /// <summary>The go-ds-flatfs name of the function: <c>prefix</c>, <c>suffix</c> or <c>next-to-last</c>.</summary>
    public string Name => Kind switch
    {
        FlatFsShardKind.Prefix => "prefix",
        FlatFsShardKind.Suffix => "suffix",
        _ => "next-to-last",
    };

    /// <summary>The function <c>prefix/N</c>.</summary>
    public static FlatFsShardFunction Prefix(int length) => new(FlatFsShardKind.Prefix, length);

    /// <summary>The function <c>suffix/N</c>.</summary>
    public static FlatFsShardFunction Suffix(int length) => new(FlatFsShardKind.Suffix, length);

    /// <summary>The function <c>next-to-last/N</c>.</summary>
    public static FlatFsShardFunction NextToLast(int length) => new(FlatFsShardKind.NextToLast, length);

    /// <summary>
    /// Parses a shard function identifier as go-ds-flatfs does: surrounding white space is ignored, the identifier
    /// must start with <see cref="IdentifierPrefix"/>, have version <c>v1</c>, a known function and an integer
    /// parameter.
    /// </summary>
    /// <exception cref="FormatException">The identifier is malformed or names an unknown function; the message says which.</exception>
    public static FlatFsShardFunction Parse(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var text = identifier.Trim();
        if (text.Length == 0)
        {
            throw new FormatException("empty shard function identifier");
        }

        if (!text.StartsWith(IdentifierPrefix, StringComparison.Ordinal))
        {
            throw new FormatException($"shard function identifier '{text}' does not start with '{IdentifierPrefix}'");
        }

        var parts = text[IdentifierPrefix.Length..].Split('/');
        if (parts.Length != 3)
        {
            throw new FormatException($"shard function identifier '{text}' is not of the form {IdentifierPrefix}v1/<function>/<n>");
        }

        if (parts[0] != "v1")
        {
            throw new FormatException($"shard function identifier '{text}' has version '{parts[0]}'; only 'v1' is known");
        }

        if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var parameter)
            || parameter < 1 || parameter > MaxParameter)
        {
            throw new FormatException($"shard function identifier '{text}' has parameter '{parts[2]}'; expected an integer from 1 to {MaxParameter}");
        }

        return parts[1] switch
        {
            "prefix" => Prefix(parameter),
            "suffix" => Suffix(parameter),
            "next-to-last" => NextToLast(parameter),
            _ => throw new FormatException($"shard function identifier '{text}' names unknown function '{parts[1]}'; expected 'prefix', 'suffix' or 'next-to-last'"),
        };
    }

    /// <summary>
    /// The shard directory name of a key, given the key without its leading slash (go-ds-flatfs's <c>noslash</c>).
    /// Keys shorter than the function needs are padded with <c>_</c>.
    /// </summary>
    public string DirectoryOf(string noSlash)
    {
        ArgumentNullException.ThrowIfNull(noSlash);
        var n = Parameter;
        switch (Kind)
        {
            case FlatFsShardKind.Prefix:
                return noSlash.Length >= n ? noSlash[..n] : noSlash + new string('_', n - noSlash.Length);
            case FlatFsShardKind.Suffix:
                return noSlash.Length >= n ? noSlash[^n..] : new string('_', n - noSlash.Length) + noSlash;
            default:
                // The n characters before the last one, of the key padded on the left with n + 1 underscores.
                var padded = new string('_', n + 1) + noSlash;
                return padded.Substring(padded.Length - n - 1, n);
        }
    }

    /// <summary>The identifier, e.g. <c>/repo/flatfs/shard/v1/next-to-last/2</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{IdentifierPrefix}v1/{Name}/{Parameter}");
}

namespace Cairn.Client.Datastore;

/// <summary>
/// Orders key strings the way go-datastore does (Go's <c>strings.Compare</c>): by the bytes of their UTF-8
/// encoding, which is Unicode code point order. This is also the order of an <see cref="Cairn.Storage.IKvEngine"/>
/// scan over UTF-8 keys.
/// </summary>
/// <remarks>
/// It differs from <see cref="string.CompareOrdinal(string, string)"/>, which compares UTF-16 code units: there a
/// supplementary character (a surrogate pair, 0xD800-0xDFFF) sorts before U+E000-U+FFFF, while in UTF-8 (and here)
/// it sorts after. Use this comparer wherever keys are compared, so every implementation agrees.
/// </remarks>
public sealed class KeyStringComparer : IComparer<string>
{
    private KeyStringComparer()
    {
    }

    /// <summary>The comparer.</summary>
    public static KeyStringComparer Instance { get; } = new();

    /// <summary>Compares <paramref name="x"/> and <paramref name="y"/> in UTF-8 byte order; null sorts first.</summary>
    /// <returns>Negative, zero or positive as <paramref name="x"/> sorts before, with or after <paramref name="y"/>.</returns>
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var length = Math.Min(x.Length, y.Length);
        var i = x.AsSpan(0, length).CommonPrefixLength(y.AsSpan(0, length));
        if (i == length)
        {
            return x.Length.CompareTo(y.Length);
        }

        return Rank(x[i]).CompareTo(Rank(y[i]));
    }

    /// <summary>
    /// Maps a UTF-16 code unit to a rank whose order, at the first differing unit, is code point order: surrogates
    /// (which start supplementary characters, above U+FFFF) move above U+E000-U+FFFF.
    /// </summary>
    private static int Rank(char c) => c switch
    {
        >= '\uD800' and <= '\uDFFF' => c + 0x2000,
        >= '\uE000' => c - 0x800,
        _ => c,
    };
}

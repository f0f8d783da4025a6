namespace Cairn.Client.Datastore;

/// <summary>
/// An order given by a comparison function: go-datastore's <c>OrderByFunction</c>. Only the sign of the function's
/// result matters.
/// </summary>
public sealed class OrderByFunction : IQueryOrder
{
    private readonly Func<QueryEntry, QueryEntry, int> _compare;

    /// <summary>Creates the order from <paramref name="compare"/>.</summary>
    public OrderByFunction(Func<QueryEntry, QueryEntry, int> compare)
    {
        ArgumentNullException.ThrowIfNull(compare);
        _compare = compare;
    }

    /// <inheritdoc/>
    public int Compare(QueryEntry a, QueryEntry b) => _compare(a, b);

    /// <summary><c>FN</c>: a function has no printable form.</summary>
    public override string ToString() => "FN";
}

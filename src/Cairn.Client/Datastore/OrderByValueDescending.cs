namespace Cairn.Client.Datastore;

/// <summary>Descending values in unsigned byte order: go-datastore's <c>OrderByValueDescending</c>.</summary>
public sealed record OrderByValueDescending : IQueryOrder
{
    /// <summary>The order.</summary>
    public static OrderByValueDescending Instance { get; } = new();

    /// <inheritdoc/>
    public int Compare(QueryEntry a, QueryEntry b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return b.Value.AsSpan().SequenceCompareTo(a.Value);
    }

    /// <summary><c>desc(VALUE)</c>, as go-datastore prints it.</summary>
    public override string ToString() => "desc(VALUE)";
}

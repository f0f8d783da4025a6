namespace Cairn.Client.Datastore;

/// <summary>Ascending values in unsigned byte order (Go's <c>bytes.Compare</c>): go-datastore's <c>OrderByValue</c>.</summary>
public sealed record OrderByValue : IQueryOrder
{
    /// <summary>The order.</summary>
    public static OrderByValue Instance { get; } = new();

    /// <inheritdoc/>
    public int Compare(QueryEntry a, QueryEntry b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Value.AsSpan().SequenceCompareTo(b.Value);
    }

    /// <summary><c>VALUE</c>, as go-datastore prints it.</summary>
    public override string ToString() => "VALUE";
}

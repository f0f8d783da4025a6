namespace Cairn.Client.Datastore;

/// <summary>
/// Passes entries whose value compares to <see cref="Value"/> as <see cref="Operator"/> says, in unsigned
/// lexicographic byte order (Go's <c>bytes.Compare</c>): go-datastore's <c>FilterValueCompare</c>.
/// </summary>
public sealed record ValueCompareFilter : IQueryFilter
{
    private readonly byte[] _value;

    /// <summary>Creates the filter <c>entry.Value <paramref name="op"/> <paramref name="value"/></c>.</summary>
    public ValueCompareFilter(ComparisonOperator op, ReadOnlySpan<byte> value)
    {
        FilterComparison.Validate(op, nameof(op));
        Operator = op;
        _value = value.ToArray();
    }

    /// <summary>The comparison.</summary>
    public ComparisonOperator Operator { get; }

    /// <summary>The value entries are compared with.</summary>
    public ReadOnlyMemory<byte> Value => _value;

    /// <inheritdoc/>
    public bool Matches(QueryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);

        // A missing value (null) compares as empty, as a nil slice does in Go.
        return FilterComparison.Holds(Operator, Math.Sign(entry.Value.AsSpan().SequenceCompareTo(_value)));
    }

    /// <summary>Whether both filters have the same operator and value.</summary>
    public bool Equals(ValueCompareFilter? other) =>
        other is not null && Operator == other.Operator && _value.AsSpan().SequenceEqual(other._value);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Operator);
        hash.AddBytes(_value);
        return hash.ToHashCode();
    }

    /// <summary>The filter as go-datastore prints it, for example <c>VALUE &lt; "abc"</c>.</summary>
    public override string ToString() =>
        $"VALUE {FilterComparison.Symbol(Operator)} \"{System.Text.Encoding.UTF8.GetString(_value)}\"";
}

namespace Cairn.Client.Datastore;

/// <summary>Evaluates a <see cref="ComparisonOperator"/> on the result of a three-way comparison.</summary>
internal static class FilterComparison
{
    public static bool Holds(ComparisonOperator op, int order) => op switch
    {
        ComparisonOperator.Equal => order == 0,
        ComparisonOperator.NotEqual => order != 0,
        ComparisonOperator.GreaterThan => order > 0,
        ComparisonOperator.GreaterThanOrEqual => order >= 0,
        ComparisonOperator.LessThan => order < 0,
        ComparisonOperator.LessThanOrEqual => order <= 0,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown comparison operator."),
    };

    public static string Symbol(ComparisonOperator op) => op switch
    {
        ComparisonOperator.Equal => "==",
        ComparisonOperator.NotEqual => "!=",
        ComparisonOperator.GreaterThan => ">",
        ComparisonOperator.GreaterThanOrEqual => ">=",
        ComparisonOperator.LessThan => "<",
        ComparisonOperator.LessThanOrEqual => "<=",
        _ => op.ToString(),
    };

    public static void Validate(ComparisonOperator op, string paramName)
    {
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(paramName, op, "Unknown comparison operator.");
        }
    }
}

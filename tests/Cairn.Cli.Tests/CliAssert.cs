namespace Cairn.Cli.Tests;

internal static class CliAssert
{
    /// <summary>The run failed with exit code 1 and exactly one <c>cairn: error:</c> line on stderr, no stack trace.</summary>
    public static string OneLineError(CliResult result)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        var lines = result.StderrLines;
        Assert.True(lines.Length == 1, result.ToString());
        Assert.StartsWith("cairn: error: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
        return lines[0];
    }

    /// <summary>The run failed with exit code 2 and printed the usage on stderr, nothing on stdout.</summary>
    public static void UsageError(CliResult result)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Usage:", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }
}

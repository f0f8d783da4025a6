using System.Reflection;

namespace Cairn.Cli.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Version_prints_the_informational_version_and_the_runtime_and_exits_0()
    {
        var expected = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        var result = CairnProcess.Run("version");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal($"cairn {expected}", lines[0]);
        Assert.StartsWith(".NET ", lines[1], StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stderr);
    }

    [Fact]
    public void An_unknown_command_exits_2_with_the_error_and_usage_on_stderr()
    {
        var result = CairnProcess.Run("frobnicate");

        CliAssert.UsageError(result);
        Assert.Contains("frobnicate", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_argument_exits_2_with_usage_on_stderr()
    {
        var result = CairnProcess.Run("store", "stats");

        CliAssert.UsageError(result);
        Assert.Contains("data-dir", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_required_option_exits_2_with_usage_on_stderr()
    {
        var result = CairnProcess.Run("store", "import-flatfs", "/tmp/some-blocks");

        CliAssert.UsageError(result);
        Assert.Contains("--into", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_option_exits_2_with_usage_on_stderr()
    {
        var result = CairnProcess.Run("store", "stats", "/tmp/some-store", "--frobnicate");

        CliAssert.UsageError(result);
        Assert.Contains("--frobnicate", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_min_garbage_ratio_outside_0_to_1_exits_2()
    {
        var result = CairnProcess.Run("store", "compact", "/tmp/some-store", "--min-garbage", "1.5");

        CliAssert.UsageError(result);
        Assert.Contains("--min-garbage must be between 0 and 1", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_group_without_a_subcommand_exits_2_and_lists_the_subcommands()
    {
        var result = CairnProcess.Run("store");

        CliAssert.UsageError(result);
        Assert.Contains("import-flatfs", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("compact", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_sync_setting_is_refused_with_the_choices_before_anything_opens()
    {
        var result = CairnProcess.Run("server", "--sync", "sometimes", "--port", "0", "--data-dir", Path.Combine(Path.GetTempPath(), "cairn-never-" + Guid.NewGuid().ToString("N")));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("sync must be groupcommit, always, periodic (everysec) or none, not 'sometimes'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_io_mode_is_refused_with_the_choices()
    {
        var result = CairnProcess.Run("server", "--io-mode", "turbo", "--port", "0", "--data-dir", Path.Combine(Path.GetTempPath(), "cairn-never-" + Guid.NewGuid().ToString("N")));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("io-mode must be pool or inline, not 'turbo'", result.Stderr, StringComparison.Ordinal);
    }
}

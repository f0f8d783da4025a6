using System.Globalization;
using System.Text;
using Cairn.Kv.Tests.Support;
using Xunit.Abstractions;

namespace Cairn.Kv.Tests;

/// <summary>
/// <c>cairn server --io-mode inline</c>: short requests run on the socket I/O threads, long ones (large values,
/// KEYS, INFO…) move to the thread pool first. Same answers either way.
/// </summary>
public sealed class InlineIoModeTests(ITestOutputHelper output)
{
    [Fact]
    public void Small_and_large_requests_and_long_commands_are_answered_correctly_in_inline_mode()
    {
        if (!ToolRunner.IsOnPath("redis-cli") || !ToolRunner.IsOnPath("redis-benchmark"))
        {
            output.WriteLine("SKIPPED: redis-cli or redis-benchmark is not on PATH (install redis-tools); this test did not run.");
            return;
        }

        using var dir = new TempDirectory();
        using var server = CairnServerProcess.Start(dir.Path, 0, "--io-mode", "inline");
        var port = server.Port.ToString(CultureInfo.InvariantCulture);

        // Pipelined small requests and 100 KB values (past the inline limit) from 20 connections at once.
        var bench = ToolRunner.Run("redis-benchmark", ["-p", port, "-t", "set,get,incr", "-n", "3000", "-c", "20", "-P", "4", "-q"], timeout: TimeSpan.FromSeconds(120));
        Assert.True(bench.ExitCode == 0, $"redis-benchmark: {bench}\nserver: {server.Stdout}");
        var large = ToolRunner.Run("redis-benchmark", ["-p", port, "-t", "set,get", "-n", "300", "-c", "10", "-d", "100000", "-q"], timeout: TimeSpan.FromSeconds(120));
        Assert.True(large.ExitCode == 0, $"redis-benchmark -d 100000: {large}\nserver: {server.Stdout}");
        Assert.DoesNotContain("ERR", bench.Stdout + bench.Stderr + large.Stdout + large.Stderr, StringComparison.Ordinal);

        var value = new string('v', 200_000);
        Assert.Equal("OK\n", ToolRunner.Run("redis-cli", ["-p", port, "-x", "SET", "inline:big"], Encoding.UTF8.GetBytes(value)).Stdout);
        Assert.Equal(value + "\n", ToolRunner.Run("redis-cli", ["-p", port, "--raw", "GET", "inline:big"]).Stdout);
        Assert.Contains("inline:big", ToolRunner.Run("redis-cli", ["-p", port, "KEYS", "inline:*"]).Stdout, StringComparison.Ordinal);
        Assert.Contains("redis_version", ToolRunner.Run("redis-cli", ["-p", port, "INFO", "server"]).Stdout, StringComparison.Ordinal);
        Assert.Equal("3000\n", ToolRunner.Run("redis-cli", ["-p", port, "GET", "counter:__rand_int__"]).Stdout);
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Cairn.Kv.Tests.Support;
using Xunit.Abstractions;

namespace Cairn.Kv.Tests;

/// <summary>One <c>cairn server</c> child process shared by the redis-cli tests.</summary>
public sealed class CairnServerFixture : IDisposable
{
    private readonly TempDirectory _dir = new();
    private CairnServerProcess? _server;

    public static bool HasRedisCli { get; } = ToolRunner.IsOnPath("redis-cli");

    internal CairnServerProcess Server => _server ??= CairnServerProcess.Start(_dir.Path);

    public void Dispose()
    {
        _server?.Dispose();
        _dir.Dispose();
    }
}

public sealed class RedisCliTests(CairnServerFixture fixture, ITestOutputHelper output) : IClassFixture<CairnServerFixture>
{
    private bool Skipped()
    {
        if (CairnServerFixture.HasRedisCli)
        {
            return false;
        }

        output.WriteLine("SKIPPED: redis-cli is not on PATH (install the redis-tools package); this test did not run.");
        return true;
    }

    private string Port => fixture.Server.Port.ToString(CultureInfo.InvariantCulture);

    private ToolResult Cli(params string[] args) => CliWithInput(null, args);

    private ToolResult CliWithInput(byte[]? stdin, params string[] args)
    {
        var result = ToolRunner.Run("redis-cli", ["-p", Port, .. args], stdin);
        Assert.True(result.ExitCode == 0, $"redis-cli {string.Join(' ', args)}: {result}");
        return result;
    }

    [Fact]
    public void Set_get_and_incr_print_what_redis_cli_prints_for_Redis()
    {
        if (Skipped())
        {
            return;
        }

        Assert.Equal("OK\n", Cli("SET", "cli:greeting", "hello world").Stdout);
        Assert.Equal("hello world\n", Cli("--raw", "GET", "cli:greeting").Stdout);
        Assert.Equal("\"hello world\"\n", Cli("--no-raw", "GET", "cli:greeting").Stdout);
        Assert.Equal("(nil)\n", Cli("--no-raw", "GET", "cli:missing").Stdout);
        Assert.Equal("(integer) 1\n", Cli("--no-raw", "INCR", "cli:counter").Stdout);
        Assert.Equal("(integer) 11\n", Cli("--no-raw", "INCRBY", "cli:counter", "10").Stdout);
        Assert.Equal("(error) ERR value is not an integer or out of range\n", Cli("--no-raw", "INCR", "cli:greeting").Stdout);
        Assert.Equal("(error) ERR unknown command 'NOSUCH', with args beginning with: 'x' \n", Cli("--no-raw", "NOSUCH", "x").Stdout);
    }

    [Fact]
    public void Expire_and_ttl_work_through_redis_cli()
    {
        if (Skipped())
        {
            return;
        }

        Cli("SET", "cli:ttl", "v");
        Assert.Equal("-1\n", Cli("TTL", "cli:ttl").Stdout);
        Assert.Equal("1\n", Cli("EXPIRE", "cli:ttl", "100").Stdout);
        var ttl = int.Parse(Cli("TTL", "cli:ttl").Stdout.Trim(), CultureInfo.InvariantCulture);
        Assert.InRange(ttl, 98, 100);
        Assert.Equal("-2\n", Cli("TTL", "cli:nothing").Stdout);
        Assert.Equal("1\n", Cli("PERSIST", "cli:ttl").Stdout);
        Assert.Equal("-1\n", Cli("TTL", "cli:ttl").Stdout);
    }

    [Fact]
    public void Dash_x_sends_standard_input_as_the_last_argument()
    {
        if (Skipped())
        {
            return;
        }

        var value = "line one\nline two with \"quotes\" and \0 a NUL";
        Assert.Equal("OK\n", CliWithInput(Encoding.UTF8.GetBytes(value), "-x", "SET", "cli:stdin").Stdout);
        Assert.Equal(value + "\n", Cli("--raw", "GET", "cli:stdin").Stdout);
    }

    [Fact]
    public void Mass_insert_with_pipe_then_scan_with_a_pattern_finds_every_key_once()
    {
        if (Skipped())
        {
            return;
        }

        const int keys = 3000;
        using var file = new MemoryStream();
        for (var i = 0; i < keys; i++)
        {
            file.Write(RespClient.Encode("SET", $"mass:{i}", $"value-{i}"));
        }

        var pipe = CliWithInput(file.ToArray(), "--pipe");
        Assert.Contains($"errors: 0, replies: {keys}", pipe.Stdout, StringComparison.Ordinal);

        var scanned = Cli("--scan", "--pattern", "mass:*").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(keys, scanned.Length);
        Assert.Equal(Enumerable.Range(0, keys).Select(i => $"mass:{i}").ToHashSet(), scanned.ToHashSet());
        Assert.Equal("value-2999\n", Cli("GET", "mass:2999").Stdout);
    }

    [Fact]
    public void Redis_cli_speaks_RESP3_after_HELLO_3()
    {
        if (Skipped())
        {
            return;
        }

        var hello = Cli("-3", "--no-raw", "HELLO", "3").Stdout;
        Assert.Contains("1# \"server\" => \"redis\"", hello, StringComparison.Ordinal);
        Assert.Contains("\"proto\" => (integer) 3", hello, StringComparison.Ordinal);
        Assert.Equal("(nil)\n", Cli("-3", "--no-raw", "GET", "cli:resp3-missing").Stdout);
        Assert.Contains("1# \"maxclients\" => \"10000\"", Cli("-3", "--no-raw", "CONFIG", "GET", "maxclients").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_benchmark_runs_set_and_get_without_errors()
    {
        if (Skipped() || !ToolRunner.IsOnPath("redis-benchmark"))
        {
            output.WriteLine("SKIPPED: redis-benchmark is not on PATH.");
            return;
        }

        var result = ToolRunner.Run("redis-benchmark", ["-p", Port, "-t", "set,get", "-n", "2000", "-q"], timeout: TimeSpan.FromSeconds(120));
        output.WriteLine(result.ToString());
        Assert.Equal(0, result.ExitCode);
        var text = result.Stdout + result.Stderr;
        Assert.DoesNotContain("ERR", text, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING", text, StringComparison.Ordinal);
        foreach (var test in new[] { "SET", "GET" })
        {
            var match = Regex.Match(text, $@"{test}: ([0-9.]+) requests per second");
            Assert.True(match.Success, $"no {test} rate in:\n{text}");
            Assert.True(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) > 0, $"{test} rate is zero");
        }
    }

    [Fact]
    public void Auth_with_requirepass_and_a_clean_stop_on_SIGTERM()
    {
        if (Skipped())
        {
            return;
        }

        using var dir = new TempDirectory();
        using var server = CairnServerProcess.Start(dir.Path, 0, "--requirepass", "pa55");
        Deadline.WaitUntil(() => server.Stdout.Contains("-a <password>", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the banner to tell clients to authenticate");
        var port = server.Port.ToString(CultureInfo.InvariantCulture);
        var refused = ToolRunner.Run("redis-cli", ["-p", port, "--no-raw", "SET", "k", "v"]);
        Assert.Equal("(error) NOAUTH Authentication required.\n", refused.Stdout);
        var wrong = ToolRunner.Run("redis-cli", ["-p", port, "-a", "nope", "--no-auth-warning", "--no-raw", "GET", "k"]);
        Assert.Contains("WRONGPASS invalid username-password pair or user is disabled.", wrong.Stdout + wrong.Stderr, StringComparison.Ordinal);
        Assert.Equal("OK\n", ToolRunner.Run("redis-cli", ["-p", port, "-a", "pa55", "--no-auth-warning", "SET", "k", "v"]).Stdout);
        Assert.Equal("v\n", ToolRunner.Run("redis-cli", ["-p", port, "-a", "pa55", "--no-auth-warning", "GET", "k"]).Stdout);

        Assert.Equal(0, server.Terminate(TimeSpan.FromSeconds(30)));
        Assert.Contains("Stopped.", server.Stdout, StringComparison.Ordinal);

        using var again = CairnServerProcess.Start(dir.Path, 0, "--requirepass", "pa55");
        Deadline.WaitUntil(() => again.Stdout.Contains("(1 keys,", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the banner to count the key written before the restart");
        Assert.Equal("v\n", ToolRunner.Run("redis-cli", ["-p", again.Port.ToString(CultureInfo.InvariantCulture), "-a", "pa55", "--no-auth-warning", "GET", "k"]).Stdout);
    }
}

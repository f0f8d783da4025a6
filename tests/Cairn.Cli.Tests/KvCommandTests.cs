using System.Diagnostics;
using System.Text;
using Cairn.Testing;

namespace Cairn.Cli.Tests;

/// <summary><c>cairn kv</c> end to end: the real executable against a real <c>cairn server</c> process.</summary>
public sealed class KvCommandTests(CairnServerProcess server) : IClassFixture<CairnServerProcess>
{
    private readonly string _ns = "t" + Guid.NewGuid().ToString("N")[..8] + "/";

    [Fact]
    public void Put_from_an_argument_then_get_stat_ls_and_del()
    {
        var put = Kv("put", _ns + "greeting", "hello, wörld");
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Contains("Stored", put.Stdout, StringComparison.Ordinal);

        var get = Kv("get", _ns + "greeting");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("hello, wörld", get.Stdout.TrimEnd('\n')); // the runner reads stdout line by line

        var stat = Kv("stat", _ns + "greeting");
        Assert.True(stat.ExitCode == 0, stat.ToString());
        Assert.Contains($"size:  {Encoding.UTF8.GetByteCount("hello, wörld")} bytes", stat.Stdout, StringComparison.Ordinal);
        Assert.Contains("ttl:   none", stat.Stdout, StringComparison.Ordinal);

        Assert.Equal(0, Kv("put", _ns + "a", "1").ExitCode);
        var ls = Kv("ls", _ns);
        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Equal([_ns + "a", _ns + "greeting"], Lines(ls.Stdout));

        var del = Kv("del", _ns + "greeting", _ns + "missing");
        Assert.True(del.ExitCode == 0, del.ToString());
        Assert.Contains("Deleted 1 of 2 keys.", del.Stdout, StringComparison.Ordinal);
        Assert.Equal([_ns + "a"], Lines(Kv("ls", _ns).Stdout));
    }

    [Fact]
    public void Put_from_a_file_and_from_stdin_keep_binary_values_intact()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        var value = new byte[3 * 1024 * 1024];
        new Random(3).NextBytes(value);
        File.WriteAllBytes(temp["in.bin"], value);

        var put = Kv("put", _ns + "file", "--file", temp["in.bin"]);
        Assert.True(put.ExitCode == 0, put.ToString());
        var get = Kv("get", _ns + "file", "--out", temp["out.bin"]);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(value, File.ReadAllBytes(temp["out.bin"]));

        var piped = RunWithStdin([0, 1, 2, 255, 13, 10], "kv", "--server", server.Address, "put", _ns + "stdin", "-");
        Assert.True(piped.ExitCode == 0, piped.ToString());
        Assert.Equal(0, Kv("get", _ns + "stdin", "-o", temp["stdin.bin"]).ExitCode);
        Assert.Equal(new byte[] { 0, 1, 2, 255, 13, 10 }, File.ReadAllBytes(temp["stdin.bin"]));
    }

    [Fact]
    public void Ls_limits_and_long_format_shows_sizes_in_key_order()
    {
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(0, Kv("put", $"{_ns}k{i:D2}", new string('x', i)).ExitCode);
        }

        var limited = Kv("ls", _ns, "--limit", "3", "-l");
        Assert.True(limited.ExitCode == 0, limited.ToString());
        var lines = Lines(limited.Stdout);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^\s+0  " + _ns + "k00$", lines[0]);
        Assert.Matches(@"^\s+2  " + _ns + "k02$", lines[2]);
        Assert.Equal(25, Lines(Kv("ls", _ns).Stdout).Length);
    }

    [Fact]
    public void A_missing_key_is_a_one_line_error()
    {
        Assert.Contains("not found", CliAssert.OneLineError(Kv("get", _ns + "nope")), StringComparison.Ordinal);
        Assert.Contains("not found", CliAssert.OneLineError(Kv("stat", _ns + "nope")), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_server_is_a_one_line_error_naming_it()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var error = CliAssert.OneLineError(CairnProcess.Run("kv", "--server", $"127.0.0.1:{port}", "get", "x"));
        Assert.Contains($"cannot reach Cairn at 127.0.0.1:{port}", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Put_needs_exactly_one_value_source()
    {
        CliAssert.UsageError(Kv("put", _ns + "k"));
        CliAssert.UsageError(Kv("put", _ns + "k", "v", "--file", "f"));
    }

    private CliResult Kv(params string[] args) => CairnProcess.Run(["kv", "--server", server.Address, .. args]);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static CliResult RunWithStdin(byte[] stdin, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CairnProcess.CairnDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(stdin);
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "cairn did not exit");
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}

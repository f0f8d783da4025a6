using System.CommandLine;
using System.Globalization;
using System.Text;
using Cairn.Cli.Output;
using Cairn.Client.Resp;
using Spectre.Console;

namespace Cairn.Cli.Commands;

/// <summary>
/// <c>cairn kv get|put|del|ls|stat</c>: work with the keys of a running Cairn server over its Redis protocol. Keys
/// are the UTF-8 bytes of the arguments, as redis-cli sends them; values are raw bytes.
/// </summary>
public static class KvCommands
{
    /// <summary>Uploads larger than this show a progress bar on a terminal.</summary>
    public const int ProgressThreshold = 1024 * 1024;

    /// <summary>The server address used when neither <c>--server</c> nor <c>CAIRN_SERVER</c> is given.</summary>
    public const string DefaultServer = "127.0.0.1:6379";

    /// <summary>Creates the <c>kv</c> command group.</summary>
    public static Command Create()
    {
        var server = new Option<string>("--server", "-s")
        {
            Description = $"The server, host:port (default {DefaultServer}, or CAIRN_SERVER).",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_SERVER") is { Length: > 0 } env ? env : DefaultServer,
        };

        var password = new Option<string?>("--password", "-a")
        {
            Description = "The password to AUTH with (or CAIRN_PASSWORD).",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_PASSWORD") is { Length: > 0 } env ? env : null,
        };
        var connection = new Connection(server, password);
        var kv = new Command("kv", "Read and write the keys of a running Cairn server.")
        {
            server,
            password,
        };
        kv.Subcommands.Add(CreateGet(connection));
        kv.Subcommands.Add(CreatePut(connection));
        kv.Subcommands.Add(CreateDel(connection));
        kv.Subcommands.Add(CreateLs(connection));
        kv.Subcommands.Add(CreateStat(connection));
        return kv;
    }

    private static Command CreateGet(Connection connection)
    {
        var key = new Argument<string>("key") { Description = "The key." };
        var output = new Option<string?>("--out", "-o") { Description = "Write the value to this file instead of stdout." };
        var command = new Command("get", "Print a key's value (raw bytes) or write it to a file.") { key, output };
        command.SetAction((parseResult, cancellationToken) => RunAsync(connection, parseResult, async client =>
        {
            var name = parseResult.GetRequiredValue(key);
            var value = (await client.ExecuteAsync(new RespCommand("GET").Add(name), cancellationToken)).AsBytes();
            if (value is null)
            {
                return NotFound(name);
            }

            var path = parseResult.GetValue(output);
            if (path is null)
            {
                await using var stdout = Console.OpenStandardOutput();
                await stdout.WriteAsync(value, cancellationToken);
            }
            else
            {
                await File.WriteAllBytesAsync(path, value, cancellationToken);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreatePut(Connection connection)
    {
        var key = new Argument<string>("key") { Description = "The key." };
        var value = new Argument<string?>("value") { Description = "The value as text; - reads it from stdin.", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file", "-f") { Description = "Read the value from this file." };
        var command = new Command("put", "Set a key to a value from the argument, a file (--file) or stdin (-).") { key, value, file };
        command.Validators.Add(result =>
        {
            var hasValue = result.GetValue(value) is not null;
            var hasFile = result.GetValue(file) is not null;
            if (hasValue == hasFile)
            {
                result.AddError("Give the value as an argument (- for stdin) or with --file, not both or neither.");
            }
        });
        command.SetAction((parseResult, cancellationToken) => RunAsync(connection, parseResult, async client =>
        {
            var name = parseResult.GetRequiredValue(key);
            var bytes = await ReadValueAsync(parseResult.GetValue(value), parseResult.GetValue(file), cancellationToken);
            var set = new RespCommand("SET").Add(name).Add(bytes);
            if (bytes.Length > ProgressThreshold && CliConsole.IsTerminal)
            {
                await CliConsole.Create().Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                    .StartAsync(async context =>
                    {
                        var task = context.AddTask(Markup.Escape($"put {name}"), maxValue: set.PayloadBytes);
                        var progress = new InlineProgress(sent => task.Value = Math.Min(sent, task.MaxValue));
                        await client.ExecuteAsync(set, progress, cancellationToken);
                        task.Value = task.MaxValue;
                    });
            }
            else
            {
                await client.ExecuteAsync(set, cancellationToken);
            }

            Console.WriteLine($"Stored {name} ({ByteSize.Format(bytes.Length)}).");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateDel(Connection connection)
    {
        var keys = new Argument<string[]>("keys") { Description = "The keys to delete.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("del", "Delete keys; keys that do not exist are ignored.") { keys };
        command.SetAction((parseResult, cancellationToken) => RunAsync(connection, parseResult, async client =>
        {
            var names = parseResult.GetRequiredValue(keys);
            var del = new RespCommand("DEL");
            foreach (var name in names)
            {
                del.Add(name);
            }

            var deleted = (await client.ExecuteAsync(del, cancellationToken)).AsInteger();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Deleted {deleted} of {names.Length} key{(names.Length == 1 ? string.Empty : "s")}."));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateLs(Connection connection)
    {
        var prefix = new Argument<string>("prefix") { Description = "List only keys that start with this.", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => string.Empty };
        var limit = new Option<int>("--limit", "-n") { Description = "List at most this many keys (default: all).", DefaultValueFactory = _ => 0 };
        var longFormat = new Option<bool>("--long", "-l") { Description = "Show each key's value size too." };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--limit must be 0 (no limit) or more.");
            }
        });
        var command = new Command("ls", "List keys in byte order, optionally under a prefix.") { prefix, limit, longFormat };
        command.SetAction((parseResult, cancellationToken) => RunAsync(connection, parseResult, async client =>
        {
            var remaining = parseResult.GetValue(limit) is > 0 and var n ? n : int.MaxValue;
            var showSize = parseResult.GetValue(longFormat);
            var cursor = "0";
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
            do
            {
                var count = Math.Min(remaining, 1000);
                var scan = new RespCommand("CAIRN.SCANPREFIX").Add(parseResult.GetValue(prefix) ?? string.Empty).Add(cursor).Add("COUNT").Add(count);
                var page = ScanPrefixReply.Parse((await client.ExecuteAsync(scan, cancellationToken)).AsArray(), withValues: false);
                foreach (var entry in page.Entries.Take(remaining))
                {
                    var name = Encoding.UTF8.GetString(entry.Key);
                    await stdout.WriteLineAsync(showSize ? string.Create(CultureInfo.InvariantCulture, $"{entry.Size,12}  {name}") : name);
                    remaining--;
                }

                cursor = page.Cursor;
            }
            while (cursor != "0" && remaining > 0);
            await stdout.FlushAsync(cancellationToken);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateStat(Connection connection)
    {
        var key = new Argument<string>("key") { Description = "The key." };
        var command = new Command("stat", "Show a key's value size and time to live.") { key };
        command.SetAction((parseResult, cancellationToken) => RunAsync(connection, parseResult, async client =>
        {
            var name = parseResult.GetRequiredValue(key);
            var replies = await client.PipelineAsync([new RespCommand("CAIRN.GETSIZE").Add(name), new RespCommand("PTTL").Add(name)], progress: null, cancellationToken);
            var size = replies[0].AsInteger();
            var ttl = replies[1].AsInteger();
            if (size < 0 || ttl == -2)
            {
                return NotFound(name);
            }

            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine($"key:   {name}");
            Console.WriteLine(string.Create(inv, $"size:  {size} bytes ({ByteSize.Format(size)})"));
            Console.WriteLine(ttl < 0 ? "ttl:   none" : string.Create(inv, $"ttl:   {ttl} ms ({TimeSpan.FromMilliseconds(ttl):g})"));
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Connects as the options say and runs <paramref name="action"/>, turning server errors into one error line.</summary>
    private static async Task<int> RunAsync(Connection connection, ParseResult parseResult, Func<RespClient, Task<int>> action)
    {
        var (host, port) = RespClientOptions.ParseAddress(parseResult.GetRequiredValue(connection.Server));
        await using var client = new RespClient(new RespClientOptions
        {
            Host = host,
            Port = port,
            Password = parseResult.GetValue(connection.Password),
            MaxConnections = 1,
        });
        try
        {
            return await action(client);
        }
        catch (RespServerException e)
        {
            CliRunner.WriteError($"Cairn at {client.Address} refused the command: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private static int NotFound(string key)
    {
        CliRunner.WriteError($"key '{key}' not found.");
        return ExitCodes.Failure;
    }

    private static async Task<byte[]> ReadValueAsync(string? value, string? file, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            return await File.ReadAllBytesAsync(file, cancellationToken);
        }

        if (value == "-")
        {
            await using var stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            await stdin.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }

        return Encoding.UTF8.GetBytes(value!);
    }

    /// <summary>The options every kv command shares.</summary>
    private sealed record Connection(Option<string> Server, Option<string?> Password);

    /// <summary>Reports on the thread that reports, unlike <see cref="Progress{T}"/>, which posts to the thread pool.</summary>
    private sealed class InlineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}

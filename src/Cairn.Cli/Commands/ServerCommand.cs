using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Server;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Microsoft.Extensions.Configuration;

namespace Cairn.Cli.Commands;

/// <summary>
/// <c>cairn server</c>: one process with embedded defaults serving the Redis protocol over a local LogStore, the
/// first-try way to run Cairn. Stops cleanly on Ctrl+C or SIGTERM, with every acknowledged write on disk.
/// </summary>
public static class ServerCommand
{
    private const int DefaultPort = 6379;
    private const int PortsToTry = 20;

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var port = new Option<int?>("--port", "-p") { Description = "RESP port (default 6379, or the next free one)." };
        var dataDir = new Option<string?>("--data-dir", "-d") { Description = "Data directory (default ./cairn-data)." };
        var bind = new Option<string?>("--bind") { Description = "Address to listen on (default 127.0.0.1)." };
        var requirePass = new Option<string?>("--requirepass") { Description = "Password clients must AUTH with." };
        var sync = new Option<string?>("--sync") { Description = "Write durability: groupcommit (default), always, periodic (fsync every second, like Redis's everysec) or none." };
        var ioMode = new Option<string?>("--io-mode") { Description = "Where short requests run: pool (default) or inline on the socket I/O threads." };
        var config = new Option<string?>("--config", "-c") { Description = "JSON settings file; CAIRN_* environment variables override it, flags override both." };
        var command = new Command("server", "Run a Cairn node with every service on embedded defaults: the first-try command.")
        {
            port, dataDir, bind, requirePass, sync, ioMode, config,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var settings = Load(parseResult.GetValue(config));
            settings.Port = parseResult.GetValue(port) ?? settings.Port;
            settings.DataDir = parseResult.GetValue(dataDir) ?? settings.DataDir;
            settings.Bind = parseResult.GetValue(bind) ?? settings.Bind;
            settings.RequirePass = parseResult.GetValue(requirePass) ?? settings.RequirePass;
            settings.Sync = parseResult.GetValue(sync) ?? settings.Sync;
            settings.IoMode = parseResult.GetValue(ioMode) ?? settings.IoMode;
            return RunAsync(settings, cancellationToken);
        });
        return command;
    }

    /// <summary>Reads the JSON file (when given) and the CAIRN_* environment over the defaults.</summary>
    public static ServerSettings Load(string? configFile)
    {
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new FileNotFoundException($"no settings file at {Path.GetFullPath(configFile)}.");
            }

            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        builder.AddEnvironmentVariables("CAIRN_");
        var settings = new ServerSettings();
        try
        {
            builder.Build().Bind(settings);
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException($"bad setting: {e.Message}", e);
        }

        return settings;
    }

    private static async Task<int> RunAsync(ServerSettings settings, CancellationToken cancellationToken)
    {
        var sync = settings.Sync.ToLowerInvariant() switch
        {
            "groupcommit" => SyncPolicy.GroupCommit,
            "always" => SyncPolicy.Always,
            "periodic" or "everysec" => SyncPolicy.Periodic,
            "none" => SyncPolicy.None,
            _ => throw new FormatException($"sync must be groupcommit, always, periodic (everysec) or none, not '{settings.Sync}'."),
        };
        switch (settings.IoMode.ToLowerInvariant())
        {
            case "inline":
                // Read once, when the socket engine first starts; nothing in this process has used async sockets yet.
                Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
                break;
            case "pool":
                break;
            default:
                throw new FormatException($"io-mode must be pool or inline, not '{settings.IoMode}'.");
        }

        if (!IPAddress.TryParse(settings.Bind, out _))
        {
            throw new FormatException($"bind must be an IP address, not '{settings.Bind}'.");
        }

        var dataDir = Path.GetFullPath(settings.DataDir);
        var kvDir = Path.Combine(dataDir, "kv");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var signals = ShutdownSignals.CancelOn(stop);

        var clock = Stopwatch();
        using var backend = new LocalKvBackend(LogStore.Open(kvDir, new LogStoreOptions { Sync = sync }));
        var (server, note) = Start(backend, settings);
        await using (server)
        {
            var endpoint = server.LocalEndPoint!;
            var version = typeof(ServerCommand).Assembly.GetName().Version;
            if (note is not null)
            {
                Console.WriteLine(note);
            }

            Console.WriteLine($"Cairn {version?.ToString(3)} is serving the Redis protocol (RESP2/RESP3) on {endpoint}");
            Console.WriteLine($"  data:     {kvDir} ({backend.Count():N0} keys, opened in {clock.Elapsed.TotalMilliseconds:F0} ms)");
            Console.WriteLine(sync switch
            {
                SyncPolicy.GroupCommit => "  writes:   acknowledged after fsync, concurrent writes sharing fsyncs (sync=groupcommit)",
                SyncPolicy.Always => "  writes:   acknowledged after their own fsync (sync=always)",
                SyncPolicy.Periodic => "  writes:   acknowledged when written, fsynced every second: a power loss can lose the last second (sync=periodic)",
                _ => "  writes:   acknowledged before fsync: a power loss can lose recent writes (sync=none)",
            });
            Console.WriteLine($"  connect:  redis-cli -h {endpoint.Address} -p {endpoint.Port}{(settings.RequirePass is null ? string.Empty : " -a <password>")}");
            Console.WriteLine("Press Ctrl+C to stop.");
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }

            Console.WriteLine("Stopping: closing clients and syncing data...");
        }

        Console.WriteLine("Stopped.");
        return ExitCodes.Success;
    }

    private static System.Diagnostics.Stopwatch Stopwatch() => System.Diagnostics.Stopwatch.StartNew();

    /// <summary>Starts the server on the configured port, or on the next free one when none was asked for.</summary>
    private static (RespServer Server, string? Note) Start(IKvBackend backend, ServerSettings settings)
    {
        var explicitPort = settings.Port is not null;
        var first = settings.Port ?? DefaultPort;
        for (var port = first; port < first + (explicitPort ? 1 : PortsToTry); port++)
        {
            var server = new RespServer(backend, new KvServerOptions
            {
                BindAddress = settings.Bind,
                Port = port,
                RequirePass = settings.RequirePass,
                Users = settings.Users,
                MaxClients = settings.MaxClients,
                AllowFlush = settings.EnableFlush,
            });
            try
            {
                server.Start();
                var note = port == first ? null : $"Port {first} is in use (another Redis or Cairn?), so Cairn took {port}.";
                return (server, note);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                if (explicitPort)
                {
                    throw new IOException($"port {port} on {settings.Bind} is in use; choose another with --port.", e);
                }
            }
        }

        throw new IOException($"ports {first} to {first + PortsToTry - 1} on {settings.Bind} are all in use; choose one with --port.");
    }
}

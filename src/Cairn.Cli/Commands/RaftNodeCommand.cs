using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Cairn.Cli.Raft;
using Cairn.Raft.Hosting;
using Cairn.Raft.Hosting.Protocol;
using Cairn.Rpc;
using Cairn.Storage.LogStore;
using Google.Protobuf;

namespace Cairn.Cli.Commands;

/// <summary>
/// <c>cairn raft-node</c> (hidden): one member of a Raft-replicated register over Cairn.Rpc, for the three-process
/// fault tests and the etcd comparison. Clients call <see cref="RegisterMethods.Call"/> with a <see cref="RegisterRequest"/> on
/// any member; a follower answers "not leader" with the leader's address.
/// </summary>
internal static class RaftNodeCommand
{
    private const ulong Group = 1;

    public static Command Create()
    {
        var id = new Option<ulong>("--id") { Description = "This member's node id (1..).", Required = true };
        var peers = new Option<string>("--peers") { Description = "Every member as id=host:port, comma-separated (this one included).", Required = true };
        var dataDir = new Option<string>("--data-dir", "-d") { Description = "Where this member keeps its Raft log.", Required = true };
        var tick = new Option<int>("--tick-ms") { Description = "Raft tick length in ms (election timeout: 10 ticks).", DefaultValueFactory = _ => 50 };
        var snapshotEntries = new Option<int>("--snapshot-entries")
        {
            Description = "Entries applied between snapshots (the log is compacted behind each); 0 never snapshots.",
            DefaultValueFactory = _ => 10_000,
        };
        var command = new Command("raft-node", "Run one member of a Raft-replicated register (for tests and benchmarks).")
        {
            id, peers, dataDir, tick, snapshotEntries,
        };
        command.Hidden = true;
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(id),
            ParsePeers(parseResult.GetValue(peers)!),
            parseResult.GetValue(dataDir)!,
            parseResult.GetValue(tick),
            parseResult.GetValue(snapshotEntries),
            cancellationToken));
        return command;
    }

    /// <summary>Parses "1=127.0.0.1:7001,2=..." into node ids and addresses.</summary>
    internal static Dictionary<ulong, IPEndPoint> ParsePeers(string text)
    {
        var peers = new Dictionary<ulong, IPEndPoint>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !ulong.TryParse(part[..equals], NumberStyles.None, CultureInfo.InvariantCulture, out var nodeId) || nodeId == 0
                || !IPEndPoint.TryParse(part[(equals + 1)..], out var endPoint) || endPoint.Port == 0)
            {
                throw new FormatException($"--peers: '{part}' is not id=ip:port with a non-zero id and port.");
            }

            if (!peers.TryAdd(nodeId, endPoint))
            {
                throw new FormatException($"--peers: node {nodeId} is listed twice.");
            }
        }

        return peers;
    }

    /// <summary>The cluster secret from CAIRN_CLUSTER_SECRET (at least 16 bytes).</summary>
    internal static byte[] ClusterSecret()
    {
        var secret = Environment.GetEnvironmentVariable("CAIRN_CLUSTER_SECRET");
        if (secret is null || Encoding.UTF8.GetByteCount(secret) < RpcOptions.MinClusterSecretBytes)
        {
            throw new FormatException($"set CAIRN_CLUSTER_SECRET to the cluster's secret (at least {RpcOptions.MinClusterSecretBytes} bytes).");
        }

        return Encoding.UTF8.GetBytes(secret);
    }

    private static async Task<int> RunAsync(ulong id, Dictionary<ulong, IPEndPoint> peers, string dataDir, int tickMs, int snapshotEntries, CancellationToken cancellationToken)
    {
        if (!peers.TryGetValue(id, out var self))
        {
            throw new FormatException($"--peers does not list this node ({id}).");
        }

        if (tickMs is < 1 or > 10_000)
        {
            throw new FormatException("--tick-ms must be between 1 and 10000.");
        }

        if (snapshotEntries is < 0 or > 100_000_000)
        {
            throw new FormatException("--snapshot-entries must be between 0 and 100000000.");
        }

        var rpcOptions = new RpcOptions { NodeId = id.ToString(CultureInfo.InvariantCulture), ClusterSecret = ClusterSecret() };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        using var log = SharedRaftLog.Open(Path.Combine(Path.GetFullPath(dataDir), "raft"));
        await using var transport = new RpcRaftTransport(id, peers.ToDictionary(p => p.Key, p => (EndPoint)p.Value), rpcOptions);
        using var host = new RaftHost(new RaftHostOptions
        {
            NodeId = id,
            TickInterval = TimeSpan.FromMilliseconds(tickMs),
            SnapshotEntries = snapshotEntries,
            CatchUpEntries = Math.Min(5_000, snapshotEntries / 2), // small intervals in tests: followers then catch up by snapshot
        }, log, transport);
        var machine = new RegisterMachine();
        host.AddGroup(Group, [.. peers.Keys.Order()], machine);

        var router = new RpcRouter();
        transport.MapInbound(router, host);
        router.MapCall(RegisterMethods.Isolate, (request, _) =>
        {
            var isolate = request.ParseBody(IsolateRequest.Parser);
            transport.Isolate(isolate.Peers, TimeSpan.FromMilliseconds(Math.Min(isolate.Millis, 600_000)));
            return ValueTask.FromResult(RpcReply.Empty);
        });
        router.MapCall(RegisterMethods.Call, async (request, ct) => new RpcReply(await CallAsync(host, machine, peers, request.ParseBody(RegisterRequest.Parser), ct)));
        await using var server = new RpcServer(rpcOptions, router);
        server.Start(self);
        host.Start();
        Console.WriteLine($"raft-node {id} serving {RegisterMethods.Call} on {server.LocalEndPoint} with {peers.Count} members");
        try
        {
            while (host.Failure is null)
            {
                await Task.Delay(200, stop.Token);
            }

            await Console.Error.WriteLineAsync($"cairn: error: raft-node {id} stopped: {host.Failure.Message}");
        }
        catch (OperationCanceledException)
        {
        }

        return host.Failure is null ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static async Task<RegisterReply> CallAsync(RaftHost host, RegisterMachine machine, Dictionary<ulong, IPEndPoint> peers, RegisterRequest request, CancellationToken cancellationToken)
    {
        try
        {
            if (request.IsGet)
            {
                // Linearizable without a log write: the leader confirms it still leads, applies up to the read index.
                await host.ReadIndexAsync(Group, cancellationToken);
                return machine.Read(request.Key);
            }

            var result = await host.ProposeAsync(Group, request.ToByteArray(), cancellationToken);
            return result is null ? new RegisterReply() : RegisterReply.Parser.ParseFrom(result);
        }
        catch (NotLeaderException e)
        {
            return new RegisterReply
            {
                Code = 1,
                Leader = e.LeaderId,
                LeaderAddress = peers.TryGetValue(e.LeaderId, out var address) ? address.ToString() : string.Empty,
                Error = e.Message,
            };
        }
        catch (ProposalDroppedException e)
        {
            return new RegisterReply { Code = 2, Error = e.Message };
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return new RegisterReply { Code = 3, Error = e.Message };
        }
    }
}

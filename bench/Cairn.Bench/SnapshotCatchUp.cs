using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Cairn.Raft;
using Cairn.Raft.Hosting;
using Cairn.Rpc;

namespace Cairn.Bench;

/// <summary>
/// How fast a follower far behind catches up by snapshot: three hosts in this process over real Cairn.Rpc
/// connections on loopback, one group. With node 3 down, nodes 1 and 2 commit N MiB of 1 MiB commands (fsynced), the
/// leader snapshots and compacts its log; then node 3 starts, and the run times how long until node 3's state
/// machine holds everything: the stream, the receiver's verify and fsync, the install and the restore.
/// </summary>
internal static class SnapshotCatchUp
{
    public const string Usage = "usage: cairn-bench snapshot-catchup [--mib N (default 1024)] [--dir DIR (default: the temp directory)]";

    private const ulong Group = 1;

    public static async Task<int> RunAsync(string[] args)
    {
        var mib = 1024;
        var parent = Path.GetTempPath();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--mib": mib = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--dir": parent = args[i + 1]; break;
                default: Console.Error.WriteLine(Usage); return 2;
            }
        }

        var root = Path.Combine(parent, "cairn-catchup-" + Guid.NewGuid().ToString("N"));
        var secret = Encoding.UTF8.GetBytes("snapshot-catchup-bench-secret");
        var addresses = Enumerable.Range(1, 3).ToDictionary(i => (ulong)i, i => (EndPoint)new IPEndPoint(IPAddress.Loopback, LoopbackPorts.Free()));
        ulong[] members = [1, 2, 3];
        var nodes = new Dictionary<ulong, Node>();
        try
        {
            nodes[1] = Node.Start(1, root, addresses, secret, members);
            nodes[2] = Node.Start(2, root, addresses, secret, members);

            var clock = Stopwatch.StartNew();
            var command = new byte[1024 * 1024];
            var leader = await WriteAll(nodes, mib, command);
            var written = clock.Elapsed;
            Console.Error.WriteLine($"wrote {mib} MiB through Raft to nodes 1 and 2 in {written.TotalSeconds:F1} s ({mib / written.TotalSeconds:F0} MiB/s)");

            clock.Restart();
            var snapshot = await nodes[leader].Host.SnapshotAsync(Group);
            var snapshotted = clock.Elapsed;
            var status = await nodes[leader].Host.StatusAsync(Group);
            var file = Directory.GetFiles(Path.Combine(root, leader.ToString(CultureInfo.InvariantCulture), "snapshots", $"g{Group}"), "*.snap").Single();
            var bytes = new FileInfo(file).Length;
            Console.Error.WriteLine($"leader {leader} snapshot at {snapshot.Index} ({bytes / 1048576.0:F0} MiB) written in {snapshotted.TotalSeconds:F1} s; log now starts at {status.FirstIndex}");

            // The transfer starts when node 3's host opens the arriving snapshot file: watch for it, so the rate does
            // not include node 3's start and the leader's reconnect to it (reported apart).
            var snapshotDirectory = Path.Combine(root, "3", "snapshots", $"g{Group}");
            var started = Stopwatch.StartNew();
            TimeSpan? streamStarted = null;
            using var watching = new CancellationTokenSource();
            var watcher = Task.Run(() =>
            {
                while (!watching.IsCancellationRequested)
                {
                    if (Directory.Exists(snapshotDirectory) && Directory.EnumerateFiles(snapshotDirectory).Any())
                    {
                        streamStarted = started.Elapsed;
                        return;
                    }

                    Thread.Sleep(1);
                }
            });
            nodes[3] = Node.Start(3, root, addresses, secret, members);
            while ((await nodes[3].Host.StatusAsync(Group)).Applied < snapshot.Index)
            {
                if (started.Elapsed > TimeSpan.FromMinutes(10))
                {
                    Console.Error.WriteLine("node 3 did not catch up within 10 minutes");
                    return 1;
                }

                await Task.Delay(2);
            }

            var total = started.Elapsed;
            await watching.CancelAsync();
            await watcher;
            var caughtUp = total - (streamStarted ?? TimeSpan.Zero);
            if (nodes[3].Machine.Bytes != (long)mib * command.Length)
            {
                Console.Error.WriteLine($"node 3 holds {nodes[3].Machine.Bytes} bytes, expected {(long)mib * command.Length}");
                return 1;
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"snapshot_mib {bytes / 1048576.0:F0} catchup_seconds {caughtUp.TotalSeconds:F2} catchup_mb_per_s {bytes / 1e6 / caughtUp.TotalSeconds:F0} start_to_stream_seconds {streamStarted?.TotalSeconds ?? 0:F2} snapshot_write_seconds {snapshotted.TotalSeconds:F2}"));
            return 0;
        }
        finally
        {
            foreach (var node in nodes.Values)
            {
                await node.DisposeAsync();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Commits <paramref name="mib"/> commands of 1 MiB, eight in flight, through whichever node leads.</summary>
    private static async Task<ulong> WriteAll(Dictionary<ulong, Node> nodes, int mib, byte[] command)
    {
        var leader = 0UL;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (leader == 0)
        {
            foreach (var (id, node) in nodes)
            {
                if ((await node.Host.StatusAsync(Group)).Role == RaftRole.Leader)
                {
                    leader = id;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("no leader within 60 s");
            }

            await Task.Delay(20);
        }

        var inFlight = new List<Task>();
        for (var i = 0; i < mib; i++)
        {
            inFlight.Add(nodes[leader].Host.ProposeAsync(Group, command));
            if (inFlight.Count == 8)
            {
                await Task.WhenAll(inFlight);
                inFlight.Clear();
            }
        }

        await Task.WhenAll(inFlight);
        return leader;
    }

    private sealed record Node(RaftHost Host, SharedRaftLog Log, RpcRaftTransport Transport, RpcServer Server, BlobMachine Machine) : IAsyncDisposable
    {
        public static Node Start(ulong id, string root, Dictionary<ulong, EndPoint> addresses, byte[] secret, ulong[] members)
        {
            var options = new RpcOptions { NodeId = id.ToString(CultureInfo.InvariantCulture), ClusterSecret = secret };
            var log = SharedRaftLog.Open(Path.Combine(root, id.ToString(CultureInfo.InvariantCulture)));
            var transport = new RpcRaftTransport(id, addresses, options);
            var host = new RaftHost(new RaftHostOptions { NodeId = id, SnapshotEntries = 0, CatchUpEntries = 0, HibernateAfterTicks = 0 }, log, transport);
            var machine = new BlobMachine();
            host.AddGroup(Group, members, machine);
            var router = new RpcRouter();
            transport.MapInbound(router, host);
            var server = new RpcServer(options, router);
            server.Start((IPEndPoint)addresses[id]);
            transport.Attach(server);
            host.Start();
            return new Node(host, log, transport, server, machine);
        }

        public async ValueTask DisposeAsync()
        {
            Host.Dispose();
            await Server.DisposeAsync();
            await Transport.DisposeAsync();
            Log.Dispose();
        }
    }

    /// <summary>A state machine that keeps every command's bytes: its snapshot is as large as what was written.</summary>
    private sealed class BlobMachine : IGroupStateMachine
    {
        private readonly List<byte[]> _blobs = [];

        public long Bytes { get; private set; }

        public byte[]? Apply(ulong index, ReadOnlyMemory<byte> command)
        {
            _blobs.Add(command.ToArray());
            Bytes += command.Length;
            return null;
        }

        public void WriteSnapshot(Stream destination)
        {
            foreach (var blob in _blobs)
            {
                destination.Write(blob);
            }
        }

        public Action<Stream> CaptureSnapshot()
        {
            var blobs = _blobs.ToList(); // the arrays never change once applied
            return destination => blobs.ForEach(blob => destination.Write(blob));
        }

        public void RestoreSnapshot(Stream source)
        {
            _blobs.Clear();
            Bytes = 0;
            while (true)
            {
                var blob = GC.AllocateUninitializedArray<byte>(1024 * 1024);
                var read = source.ReadAtLeast(blob, blob.Length, throwOnEndOfStream: false);
                if (read == 0)
                {
                    return;
                }

                _blobs.Add(read == blob.Length ? blob : blob[..read]);
                Bytes += read;
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Cairn.Raft.Hosting;
using Cairn.Rpc;

namespace Cairn.Bench;

/// <summary>
/// What idle groups cost: three hosts in this process, over real Cairn.Rpc connections on loopback, each a member
/// of N groups. Every group commits one write, then the run waits for the groups to go quiet and measures this
/// process's CPU time over a window, reported per host as a percentage of one core.
/// </summary>
internal static class IdleGroups
{
    public const string Usage = "usage: cairn-bench idle-groups [--groups N (default 1000)] [--seconds S (default 10)] [--no-hibernate]";

    public static async Task<int> RunAsync(string[] args)
    {
        var groups = 1000;
        var seconds = 10.0;
        var hibernate = !args.Contains("--no-hibernate");
        args = [.. args.Where(a => a != "--no-hibernate")];
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--groups": groups = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine(Usage); return 2;
            }
        }

        var root = Path.Combine(Path.GetTempPath(), "cairn-idle-" + Guid.NewGuid().ToString("N"));
        var secret = Encoding.UTF8.GetBytes("idle-groups-bench-secret");
        var ports = Enumerable.Range(0, 3).Select(_ => LoopbackPorts.Free()).ToArray();
        var addresses = Enumerable.Range(1, 3).ToDictionary(i => (ulong)i, i => (EndPoint)new IPEndPoint(IPAddress.Loopback, ports[i - 1]));
        var members = addresses.Keys.ToArray();
        var hosts = new List<(RaftHost Host, SharedRaftLog Log, RpcRaftTransport Transport, RpcServer Server)>();
        try
        {
            foreach (var id in members)
            {
                var options = new RpcOptions { NodeId = id.ToString(CultureInfo.InvariantCulture), ClusterSecret = secret };
                var log = SharedRaftLog.Open(Path.Combine(root, id.ToString(CultureInfo.InvariantCulture)));
                var transport = new RpcRaftTransport(id, addresses, options);
                var host = new RaftHost(new RaftHostOptions { NodeId = id, HibernateAfterTicks = hibernate ? 40 : 0 }, log, transport);
                for (var g = 1; g <= groups; g++)
                {
                    host.AddGroup((ulong)g, members, new NullMachine());
                }

                var router = new RpcRouter();
                transport.MapInbound(router, host);
                var server = new RpcServer(options, router);
                transport.Attach(server);
                server.Start((IPEndPoint)addresses[id]);
                host.Start();
                hosts.Add((host, log, transport, server));
            }

            // One write per group (through whichever host leads it), so every group has a leader and a commit.
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(1, groups).Select(g => WriteOnce(hosts.Select(h => h.Host).ToList(), (ulong)g)));
            Console.Error.WriteLine($"{groups} groups elected and wrote once in {clock.Elapsed.TotalSeconds:F1} s; waiting for them to go idle");
            await Task.Delay(TimeSpan.FromSeconds(8)); // hibernation: 40 ticks of 100 ms, and margin

            var sleeping = 0;
            foreach (var (host, _, _, _) in hosts)
            {
                for (var g = 1; g <= groups; g++)
                {
                    sleeping += (await host.StatusAsync((ulong)g)).Hibernating ? 1 : 0;
                }
            }

            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var window = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / window.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"groups {groups} hosts 3 hibernating {sleeping}/{groups * 3} cpu_percent_per_host {cpu * 100 / 3:F2} cpu_percent_process {cpu * 100:F2}"));
            return 0;
        }
        finally
        {
            foreach (var (host, log, transport, server) in hosts)
            {
                host.Dispose();
                await server.DisposeAsync();
                await transport.DisposeAsync();
                log.Dispose();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task WriteOnce(List<RaftHost> hosts, ulong group)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        var next = (int)(group % 3);
        while (true)
        {
            try
            {
                await hosts[next].ProposeAsync(group, "x"u8.ToArray());
                return;
            }
            catch (NotLeaderException e) when (DateTime.UtcNow < deadline)
            {
                next = e.LeaderId is >= 1 and <= 3 ? (int)e.LeaderId - 1 : (next + 1) % 3;
                await Task.Delay(e.LeaderId == 0 ? 100 : 0);
            }
            catch (ProposalDroppedException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    private sealed class NullMachine : IGroupStateMachine
    {
        public byte[]? Apply(ulong index, ReadOnlyMemory<byte> command) => null;

        public void WriteSnapshot(Stream destination)
        {
        }

        public void RestoreSnapshot(Stream source)
        {
        }
    }
}

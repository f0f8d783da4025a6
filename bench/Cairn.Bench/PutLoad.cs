using System.Globalization;
using System.Net;
using System.Text;
using Cairn.Raft.Hosting;
using Cairn.Raft.Hosting.Protocol;
using Cairn.Rpc;
using Google.Protobuf;

namespace Cairn.Bench;

/// <summary>
/// A replicated-put load: N concurrent clients each put fixed-size values under their own keys for a timed
/// window, against etcd's HTTP/JSON gateway (<c>/v3/kv/put</c>) or a Cairn Raft register. Every put waits for its
/// commit, as each system's client sees it. Prints one line: puts/s, p50 and p99.
/// </summary>
internal static class PutLoad
{

    public const string Usage = """
        usage: cairn-bench put-load (--etcd URL[,URL...] | --cairn HOST:PORT[,HOST:PORT...]) [options]
          --clients N       concurrent clients (default 64), spread over the endpoints round-robin
          --value-size B    bytes per value (default 256)
          --warmup S        seconds before measuring (default 3)
          --duration S      seconds measured (default 10)
        """;

    public static int Run(string[] args)
    {
        string? etcd = null, cairn = null;
        int clients = 64, valueSize = 256;
        double warmup = 3, duration = 10;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--etcd": etcd = Next(); break;
                    case "--cairn": cairn = Next(); break;
                    case "--clients": clients = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--value-size": valueSize = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--warmup": warmup = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--duration": duration = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"Unknown option '{args[i]}'.");
                }
            }

            if ((etcd is null) == (cairn is null))
            {
                throw new ArgumentException("Give exactly one of --etcd and --cairn.");
            }

            if (clients is < 1 or > 4096 || valueSize is < 1 or > 1024 * 1024)
            {
                throw new ArgumentException("--clients must be 1..4096 and --value-size 1..1048576.");
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var value = new byte[valueSize];
        Random.Shared.NextBytes(value);
        Func<int, BenchOp> createOp = etcd is not null
            ? EtcdPuts(etcd.Split(','), clients, value)
            : CairnPuts(cairn!.Split(','), value);

        var result = TimedRun.Run(clients, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(duration), createOp);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"puts/s {result.OpsPerSecond:F0} p50_ms {result.Latency.PercentileNanos(50) / 1e6:F3} p99_ms {result.Latency.PercentileNanos(99) / 1e6:F3} ops {result.Ops}"));
        return 0;
    }

    /// <summary>
    /// Each client its own connection to a <c>cairn raft-node</c>, moving to the leader when a member answers "not
    /// leader". The secret comes from CAIRN_CLUSTER_SECRET.
    /// </summary>
    private static Func<int, BenchOp> CairnPuts(string[] endpoints, byte[] value)
    {
        var secret = Environment.GetEnvironmentVariable("CAIRN_CLUSTER_SECRET")
            ?? throw new ArgumentException("set CAIRN_CLUSTER_SECRET to the raft-node cluster's secret.");
        var valueBytes = ByteString.CopyFrom(value);
        return client =>
        {
            var options = new RpcOptions { NodeId = $"bench-{client}", ClusterSecret = Encoding.UTF8.GetBytes(secret) };
            var peer = new RpcPeer(IPEndPoint.Parse(endpoints[client % endpoints.Length]), options);
            long sequence = 0;
            return (out long bytes) =>
            {
                var request = new RegisterRequest { Key = ByteString.CopyFromUtf8($"bench/{client}/{sequence++ % 1000}"), Value = valueBytes };
                while (true)
                {
                    var reply = peer.CallAsync(RegisterMethods.Call, request, RegisterReply.Parser).GetAwaiter().GetResult();
                    if (reply.Code == 0)
                    {
                        break;
                    }

                    if (reply.Code == 1 && reply.LeaderAddress.Length > 0)
                    {
                        peer.DisposeAsync().AsTask().GetAwaiter().GetResult();
                        peer = new RpcPeer(IPEndPoint.Parse(reply.LeaderAddress), options);
                    }
                    else if (reply.Code is 1 or 2)
                    {
                        Thread.Sleep(10); // no leader yet, or a leader change: try again
                    }
                    else
                    {
                        throw new InvalidOperationException($"cairn refused a put: {reply.Error}");
                    }
                }

                bytes = value.Length;
                return 1;
            };
        };
    }

    /// <summary>Each client its own connection to one endpoint, putting base64 JSON as etcd's gateway expects.</summary>
    private static Func<int, BenchOp> EtcdPuts(string[] endpoints, int clients, byte[] value)
    {
        var valueB64 = Convert.ToBase64String(value);
        return client =>
        {
            var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseProxy = false })
            {
                BaseAddress = new Uri(endpoints[client % endpoints.Length]),
                DefaultRequestVersion = HttpVersion.Version11,
            };
            long sequence = 0;
            return (out long bytes) =>
            {
                var key = Convert.ToBase64String(Encoding.UTF8.GetBytes($"bench/{client}/{sequence++ % 1000}"));
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/kv/put")
                {
                    Content = new StringContent($"{{\"key\":\"{key}\",\"value\":\"{valueB64}\"}}", Encoding.UTF8, "application/json"),
                };
                using var response = http.Send(request);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"etcd answered {(int)response.StatusCode} {response.ReasonPhrase}");
                }

                bytes = value.Length;
                return 1;
            };
        };
    }
}

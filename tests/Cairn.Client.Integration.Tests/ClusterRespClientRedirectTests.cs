using System.Net;
using System.Net.Sockets;
using System.Text;
using Cairn.Client.Resp;
using Cairn.Core;

namespace Cairn.Client.Integration.Tests;

/// <summary>
/// <see cref="ClusterRespClient"/>'s handling of replies a healthy 3-node Cairn cluster does not send on demand
/// (<c>-ASK</c>, endless redirects, <c>-TRYAGAIN</c>), against small scripted RESP servers.
/// </summary>
public sealed class ClusterRespClientRedirectTests
{
    private static readonly byte[] KeyBytes = Encoding.UTF8.GetBytes("k");
    private static readonly int Slot = HashSlot.Of(KeyBytes);

    [Fact]
    public async Task Ask_sends_asking_and_the_command_to_the_named_node_once_and_keeps_the_map()
    {
        await using var a = new ScriptedServer();
        await using var b = new ScriptedServer();
        a.Handle = (args, asking) => args[0] switch
        {
            "CLUSTER" => SlotsReply(a.Port),
            "GET" => $"-ASK {Slot} 127.0.0.1:{b.Port}\r\n",
            _ => "-ERR unexpected\r\n",
        };
        b.Handle = (args, asking) => args[0] switch
        {
            "GET" when asking => "$6\r\nfrom-b\r\n",
            "GET" => $"-MOVED {Slot} 127.0.0.1:{a.Port}\r\n",
            _ => "-ERR unexpected\r\n",
        };

        await using var client = new ClusterRespClient(ClusterRespClientOptions.FromSeeds($"127.0.0.1:{a.Port}"));
        var reply = await client.ExecuteAsync(KeyBytes, new RespCommand("GET").Add(KeyBytes));
        Assert.Equal("from-b", reply.AsString());
        Assert.Equal(1, client.Redirects);
        Assert.Equal($"127.0.0.1:{a.Port}", client.OwnerOf(Slot));
        Assert.Equal(1, b.Commands.Count(c => c == "ASKING"));
    }

    [Fact]
    public async Task Endless_redirects_fail_after_the_limit_with_a_clear_exception()
    {
        await using var a = new ScriptedServer();
        await using var b = new ScriptedServer();
        a.Handle = (args, _) => args[0] == "CLUSTER" ? SlotsReply(a.Port) : $"-MOVED {Slot} 127.0.0.1:{b.Port}\r\n";
        b.Handle = (args, _) => $"-MOVED {Slot} 127.0.0.1:{a.Port}\r\n";

        await using var client = new ClusterRespClient(new ClusterRespClientOptions { Seeds = [$"127.0.0.1:{a.Port}"], MaxRedirects = 3 });
        var error = await Assert.ThrowsAsync<ClusterRedirectException>(() => client.ExecuteAsync(KeyBytes, new RespCommand("GET").Add(KeyBytes)));
        Assert.Contains("more than 3 times", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, client.Redirects);
    }

    [Fact]
    public async Task Tryagain_is_retried_after_a_wait_and_clusterdown_stands_after_the_retries()
    {
        await using var a = new ScriptedServer();
        var gets = 0;
        a.Handle = (args, _) => args[0] switch
        {
            "CLUSTER" => SlotsReply(a.Port),
            "GET" => Interlocked.Increment(ref gets) <= 2 ? "-TRYAGAIN Multiple keys request during rehashing of slot\r\n" : "$2\r\nok\r\n",
            "SET" => "-CLUSTERDOWN The cluster is down\r\n",
            _ => "-ERR unexpected\r\n",
        };

        await using var client = new ClusterRespClient(new ClusterRespClientOptions
        {
            Seeds = [$"127.0.0.1:{a.Port}"],
            MaxRetries = 2,
            RetryDelay = TimeSpan.FromMilliseconds(5),
        });
        Assert.Equal("ok", (await client.ExecuteAsync(KeyBytes, new RespCommand("GET").Add(KeyBytes))).AsString());
        Assert.Equal(3, gets);

        var error = await Assert.ThrowsAsync<RespServerException>(() => client.ExecuteAsync(KeyBytes, new RespCommand("SET").Add(KeyBytes).Add("v")));
        Assert.Equal("CLUSTERDOWN", error.Code);
        Assert.Equal(3, a.Commands.Count(c => c == "SET"));
    }

    private static string SlotsReply(int port) =>
        $"*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$1\r\na\r\n";

    /// <summary>A RESP server on a free port that answers each command with what <see cref="Handle"/> returns (raw RESP).</summary>
    private sealed class ScriptedServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private readonly List<string> _commands = [];

        public ScriptedServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _accepting = AcceptAsync();
        }

        public int Port { get; }

        /// <summary>Given a command's arguments and whether ASKING preceded it, the raw reply.</summary>
        public Func<string[], bool, string> Handle { get; set; } = (_, _) => "-ERR no script\r\n";

        public IReadOnlyList<string> Commands
        {
            get
            {
                lock (_commands)
                {
                    return [.. _commands];
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _accepting;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                _ = ServeAsync(socket);
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            var asking = false;
            try
            {
                while (await reader.ReadLineAsync(_stop.Token) is { } header)
                {
                    var count = int.Parse(header.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                    var args = new string[count];
                    for (var i = 0; i < count; i++)
                    {
                        _ = await reader.ReadLineAsync(_stop.Token); // $len: the test's arguments have no line breaks
                        args[i] = (await reader.ReadLineAsync(_stop.Token))!;
                    }

                    lock (_commands)
                    {
                        _commands.Add(args[0]);
                    }

                    string reply;
                    if (args[0] == "ASKING")
                    {
                        asking = true;
                        reply = "+OK\r\n";
                    }
                    else
                    {
                        reply = Handle(args, asking);
                        asking = false;
                    }

                    await stream.WriteAsync(Encoding.Latin1.GetBytes(reply), _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Cairn.Kv.Tests.Support;
using Xunit.Abstractions;

namespace Cairn.Kv.Tests;

public sealed class ProtocolFuzzTests(ITestOutputHelper output)
{
    private const long MaxFuzzWorkingSet = 1024L * 1024 * 1024;
    private const long MaxSlowReaderWorkingSet = 500L * 1024 * 1024;

    [Fact]
    public async Task Hostile_bytes_never_take_the_server_down_or_disturb_other_clients()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CAIRN_SEED"), CultureInfo.InvariantCulture, out var fixedSeed)
            ? fixedSeed
            : Random.Shared.Next();
        output.WriteLine($"fuzz seed {seed} (replay with CAIRN_SEED={seed})");

        using var dir = new TempDirectory();
        using var server = CairnServerProcess.Start(dir.Path);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var sent = 0L;
        var fuzzers = Enumerable.Range(0, 3)
            .Select(i => Task.Run(() => Fuzz(server, seed + i, stop.Token, ref sent)))
            .ToArray();

        // A well-behaved client keeps getting the right answers the whole time.
        var checks = 0;
        var maxWorkingSet = 0L;
        using (var client = new RespClient(server.EndPoint))
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var value = random.Next().ToString(CultureInfo.InvariantCulture);
                Assert.Equal("+OK", client.CallText("SET", "checker:value", value));
                Assert.Equal("$" + value, client.CallText("GET", "checker:value"));
                Assert.Equal($":{checks + 1}", client.CallText("INCR", "checker:count"));
                checks++;
                if (checks % 20 == 0)
                {
                    maxWorkingSet = Math.Max(maxWorkingSet, server.WorkingSet);
                    Assert.True(maxWorkingSet < MaxFuzzWorkingSet, $"server working set {maxWorkingSet / (1 << 20)} MiB (seed {seed})");
                }
            }
        }

        await Task.WhenAll(fuzzers);
        output.WriteLine($"{Interlocked.Read(ref sent)} fuzz payloads, {checks} checker rounds, max working set {maxWorkingSet / (1 << 20)} MiB");
        Assert.False(server.HasExited, $"the server exited (seed {seed}):\n{server.Output()}");
        Assert.True(checks > 10, "the checker barely ran");
        using var after = new RespClient(server.EndPoint);
        Assert.Equal("+PONG", after.CallText("PING"));
        Assert.Equal($"${checks}", after.CallText("GET", "checker:count"));
    }

    private static void Fuzz(CairnServerProcess server, int seed, CancellationToken stop, ref long sent)
    {
        var random = new Random(seed);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { SendTimeout = 2000, ReceiveTimeout = 200 };
                socket.Connect(server.EndPoint);
                for (var n = random.Next(1, 6); n > 0 && !stop.IsCancellationRequested; n--)
                {
                    socket.Send(Payload(random));
                    Interlocked.Increment(ref sent);
                }

                if (random.Next(2) == 0)
                {
                    Drain(socket);
                }
            }
            catch (SocketException)
            {
                // The server closed the connection on a protocol error, as it should.
            }
        }
    }

    private static void Drain(Socket socket)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (socket.Receive(buffer) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }
    }

    private static readonly string[][] Commands =
    [
        ["SET", "fuzz:a", "value"], ["GET", "fuzz:a"], ["PING"], ["ECHO", "hello"], ["INCR", "fuzz:n"],
        ["MGET", "fuzz:a", "fuzz:b"], ["SET", "fuzz:b", "x", "EX", "100"], ["HELLO", "3"], ["SCAN", "0"], ["EXISTS", "fuzz:a"],
    ];

    private static byte[] Payload(Random random)
    {
        var valid = RespClient.Encode(Commands[random.Next(Commands.Length)]);
        switch (random.Next(9))
        {
            case 0: // random bytes
                var bytes = new byte[random.Next(1, 4096)];
                random.NextBytes(bytes);
                return bytes;
            case 1: // a valid request with flipped bytes
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    valid[random.Next(valid.Length)] ^= (byte)(1 << random.Next(8));
                }

                return valid;
            case 2: // truncated
                return valid[..random.Next(1, valid.Length)];
            case 3: // huge lengths
                return Encoding.ASCII.GetBytes(random.Next(4) switch
                {
                    0 => "*1\r\n$999999999999\r\n",
                    1 => "*99999999\r\n",
                    2 => "*2\r\n$3\r\nGET\r\n$16000000\r\nabc",
                    _ => "*1000000\r\n$1\r\na\r\n",
                });
            case 4: // deep nesting
                return Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*1\r\n", random.Next(1, 20_000))));
            case 5: // NUL bytes, inside and outside requests
                var nuls = new byte[random.Next(1, 2048)];
                return random.Next(2) == 0 ? nuls : [.. valid[..(valid.Length / 2)], .. nuls, .. valid];
            case 6: // a long inline line with quotes
                return Encoding.ASCII.GetBytes("SET \"" + new string('q', random.Next(1, 100_000)) + (random.Next(2) == 0 ? "\"\r\n" : "\r\n"));
            case 7: // many valid requests at once
                return [.. Enumerable.Range(0, random.Next(1, 200)).SelectMany(_ => RespClient.Encode(Commands[random.Next(Commands.Length)]))];
            default:
                return valid;
        }
    }

    [Fact]
    public async Task A_client_that_never_reads_its_replies_cannot_make_the_server_grow_without_bound()
    {
        using var dir = new TempDirectory();
        using var server = CairnServerProcess.Start(dir.Path);
        var value = new string('v', 100 * 1024);
        using var client = new RespClient(server.EndPoint);
        Assert.Equal("+OK", client.CallText("SET", "big", value));
        var baseline = server.WorkingSet;

        // 100,000 pipelined GETs of a 100 KiB value would be 10 GB of replies; the slow client reads none of them.
        var request = RespClient.Encode("GET", "big");
        var requests = new byte[request.Length * 100_000];
        for (var i = 0; i < 100_000; i++)
        {
            request.CopyTo(requests, i * request.Length);
        }

        using var slow = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        slow.Connect(server.EndPoint);
        var sentBytes = 0L;
        var sender = Task.Run(() =>
        {
            try
            {
                for (var at = 0; at < requests.Length; at += 64 * 1024)
                {
                    var n = slow.Send(requests, at, Math.Min(64 * 1024, requests.Length - at), SocketFlags.None);
                    Interlocked.Add(ref sentBytes, n);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The socket is closed when the test is done. (Loopback buffers can take all 2 MB of requests: the
                // bound that matters is the server's memory, checked below.)
            }
        });

        // While the slow client's replies back up, the server keeps serving others and its memory stays bounded.
        var clock = Stopwatch.StartNew();
        var maxWorkingSet = 0L;
        var rounds = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(4))
        {
            Assert.Equal(value, client.Call("GET", "big").Text);
            Assert.Equal($":{rounds + 1}", client.CallText("INCR", "other:count"));
            rounds++;
            maxWorkingSet = Math.Max(maxWorkingSet, server.WorkingSet);
            Assert.True(maxWorkingSet < MaxSlowReaderWorkingSet, $"server working set {maxWorkingSet / (1 << 20)} MiB with a slow reader");
        }

        output.WriteLine($"slow client sent {Interlocked.Read(ref sentBytes) / 1024} KiB of requests; working set {baseline / (1 << 20)} -> max {maxWorkingSet / (1 << 20)} MiB; {rounds} rounds for the other client");
        slow.Close();
        await sender;
        Assert.False(server.HasExited);
        Assert.Equal("+PONG", client.CallText("PING"));
    }
}

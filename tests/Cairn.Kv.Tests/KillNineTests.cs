using System.Collections.Concurrent;
using System.Diagnostics;
using Cairn.Kv.Tests.Support;
using Xunit.Abstractions;

namespace Cairn.Kv.Tests;

public sealed class KillNineTests(ITestOutputHelper output)
{
    private const int Writers = 8;

    // periodic acknowledges before fsync, but a write the kernel has survives the process being killed.
    [Theory]
    [InlineData("groupcommit")]
    [InlineData("periodic")]
    public async Task Every_acknowledged_write_survives_kill_minus_nine(string sync)
    {
        using var dir = new TempDirectory();
        var acknowledged = new ConcurrentDictionary<string, string>();
        for (var round = 0; round < 3; round++)
        {
            using var server = CairnServerProcess.Start(dir.Path, 0, "--sync", sync);
            VerifyAll(server, acknowledged, round);

            using var stop = new CancellationTokenSource();
            var before = acknowledged.Count;
            var writers = Enumerable.Range(0, Writers)
                .Select(w => Task.Run(() => Write(server, round, w, acknowledged, stop.Token)))
                .ToArray();

            // Kill mid-load: once every writer is well under way.
            var clock = Stopwatch.StartNew();
            while (acknowledged.Count - before < 1500 && clock.Elapsed < TimeSpan.FromSeconds(20) && !writers.All(t => t.IsCompleted))
            {
                await Task.Delay(5);
            }

            server.KillHard();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            output.WriteLine($"round {round}: {acknowledged.Count - before} writes acknowledged before kill -9 at {clock.ElapsedMilliseconds} ms");
            Assert.True(acknowledged.Count - before >= 100, $"round {round}: too few writes were acknowledged to test anything:\n{server.Output()}");
        }

        using var last = CairnServerProcess.Start(dir.Path, 0, "--sync", sync);
        VerifyAll(last, acknowledged, 3);
    }

    private static void Write(CairnServerProcess server, int round, int writer, ConcurrentDictionary<string, string> acknowledged, CancellationToken stop)
    {
        try
        {
            using var client = new RespClient(server.EndPoint);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"r{round}:w{writer}:{i}";
                var value = $"{key}:{Guid.NewGuid():N}";
                var reply = client.Call("SET", key, value);
                Assert.Equal("+OK", reply.ToString());
                acknowledged[key] = value;
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or System.Net.Sockets.SocketException)
        {
            // The server was killed: writes in flight were never acknowledged, so nothing is claimed for them.
        }
    }

    private static void VerifyAll(CairnServerProcess server, ConcurrentDictionary<string, string> acknowledged, int round)
    {
        using var client = new RespClient(server.EndPoint, TimeSpan.FromSeconds(30));
        var pairs = acknowledged.ToArray();
        foreach (var chunk in pairs.Chunk(500))
        {
            using var batch = new MemoryStream();
            foreach (var (key, _) in chunk)
            {
                batch.Write(RespClient.Encode("GET", key));
            }

            client.SendRaw(batch.ToArray());
            foreach (var (key, value) in chunk)
            {
                var reply = client.Read();
                Assert.True(reply.Text == value, $"after restart {round}: {key} was acknowledged as {value} but reads {reply}");
            }
        }

        var size = client.Call("DBSIZE").Integer;
        Assert.True(size >= pairs.Length, $"after restart {round}: DBSIZE {size} < {pairs.Length} acknowledged keys");
    }
}

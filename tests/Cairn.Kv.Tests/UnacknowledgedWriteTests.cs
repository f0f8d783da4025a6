using System.Net;
using System.Net.Sockets;
using System.Text;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Server;
using Cairn.Kv.Tests.Replication;

namespace Cairn.Kv.Tests;

/// <summary>
/// A write that does not commit is never acknowledged: the connection drops without the reply its round had buffered
/// (a regression: closing the connection used to flush that "+OK" on its way out).
/// </summary>
public sealed class UnacknowledgedWriteTests
{
    [Fact]
    public async Task A_write_refused_by_the_log_closes_the_connection_without_an_OK()
    {
        await using var cluster = await ShardCluster.StartAsync(groups: 1);
        var leader = cluster.LeaderFor("k");
        var follower = cluster.Nodes.Keys.First(id => id != leader.Id);
        await cluster.StopAsync(follower);
        await using var server = new RespServer(leader.Backend, new KvServerOptions { Port = 0 }, _ => { });
        server.Start();

        // A transfer to a node that is down stays pending for an election timeout, and the leader refuses every
        // proposal meanwhile; the keyspace, still serving, evaluates the SET and buffers its "+OK". On a slow machine
        // the transfer may be abandoned before the SET arrives: then the SET commits, and its OK must be true.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var key = $"k{attempt}";
            leader.Host.TransferLeadership(ShardCluster.FirstGroup, follower);
            var reply = await SetOverSocketAsync(server.LocalEndPoint!.Port, key);
            if (reply.Length == 0)
            {
                return; // refused, and the connection dropped without a reply: what must happen
            }

            if (reply.StartsWith('-'))
            {
                await Task.Delay(100); // refused openly (the keyspace is rebuilding after a failed proposal): not an OK
                continue;
            }

            Assert.Equal("+OK\r\n", reply);
            var value = new ValueBuffer();
            Assert.True(leader.Backend.TryGet(Encoding.UTF8.GetBytes(key), value), $"{key} was acknowledged but is not there");
            leader.Backend.TakeReadTokens();
            await Task.Delay(50);
        }

        Assert.Fail("no SET was refused by a pending leadership transfer in 20 attempts");
    }

    private static async Task<string> SetOverSocketAsync(int port, string key)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n$1\r\nv\r\n"));
        var received = new List<byte>();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!received.Contains((byte)'\n'))
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            }
            catch (SocketException)
            {
                break; // reset: closed without a reply
            }

            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        return Encoding.ASCII.GetString([.. received]);
    }
}

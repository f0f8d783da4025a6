using System.Net;
using System.Net.Sockets;
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

        // A transfer to a node that is down stays pending for an election timeout, and the leader refuses every
        // proposal meanwhile; the keyspace, still serving, evaluates the SET and buffers its "+OK".
        await using var server = new RespServer(leader.Backend, new KvServerOptions { Port = 0 }, _ => { });
        server.Start();
        leader.Host.TransferLeadership(ShardCluster.FirstGroup, follower);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint!.Port));
        await socket.SendAsync("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"u8.ToArray());

        var received = new List<byte>();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
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

        Assert.Equal(string.Empty, System.Text.Encoding.ASCII.GetString([.. received])); // in particular, no "+OK"
    }
}

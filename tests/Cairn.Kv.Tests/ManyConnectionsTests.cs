using Cairn.Kv.Tests.Support;

namespace Cairn.Kv.Tests;

/// <summary>The server holds thousands of clients at once, each served correctly.</summary>
public sealed class ManyConnectionsTests
{
    [Fact]
    public async Task Two_thousand_clients_connected_at_once_are_each_served()
    {
        const int clients = 2000;
        await using var harness = new ServerHarness();
        var connections = new List<RespClient>(clients);
        try
        {
            for (var i = 0; i < clients; i++)
            {
                connections.Add(harness.Connect(TimeSpan.FromSeconds(30)));
            }

            // Every client writes before any reads, so all requests are in flight together.
            for (var i = 0; i < clients; i++)
            {
                connections[i].Send("SET", $"client:{i}", $"value {i}");
            }

            for (var i = 0; i < clients; i++)
            {
                Assert.Equal("+OK", connections[i].Read().ToString());
            }

            for (var i = 0; i < clients; i++)
            {
                Assert.Equal($"$value {i}", connections[i].CallText("GET", $"client:{i}"));
            }

            Assert.Equal(clients, harness.Server.ClientCount);
            Assert.Equal($":{clients}", connections[0].CallText("DBSIZE"));
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }

        Deadline.WaitUntil(() => harness.Server.ClientCount == 0, TimeSpan.FromSeconds(20), "every client to be forgotten");
    }
}

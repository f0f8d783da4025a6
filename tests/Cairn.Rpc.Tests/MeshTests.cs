using System.Diagnostics;
using System.Net;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

/// <summary>
/// Members of an <see cref="RpcMesh"/> share one TCP connection per pair: the smaller id dials, the other
/// sends back over the connection it accepted. Connections are counted on the servers (only accepted ones are).
/// </summary>
public sealed class MeshTests
{
    [Fact]
    public async Task Two_members_share_one_connection_dialed_by_the_smaller_id_and_talk_both_ways()
    {
        var nodes = await MeshNode.StartAllAsync(IPAddress.Loopback, "node-b", "node-a");
        await using var b = nodes[0];
        await using var a = nodes[1];
        await WaitConnectedAsync(nodes);

        Assert.Equal($"node-b answering node-a", await a.WhoAmIAsync("node-b"));
        Assert.Equal($"node-a answering node-b", await b.WhoAmIAsync("node-a"));
        await a.NoteAsync("node-b", "hello b");
        await b.NoteAsync("node-a", "hello a");
        await Poll.UntilAsync(() => b.Notes.Contains("node-a: hello b") && a.Notes.Contains("node-b: hello a"), "notes both ways");

        Assert.True(a.Mesh.Dials("node-b"));
        Assert.False(b.Mesh.Dials("node-a"));
        Assert.Equal(0, a.Server.ConnectionCount);
        Assert.Equal(1, b.Server.ConnectionCount);
        Assert.Equal(1, b.Server.AcceptedCount);
        Assert.True(a.Logger.Contains("(node 'node-b') established; this node dialed"));
        Assert.True(b.Logger.Contains("(node 'node-a') accepted; that node dialed"));
    }

    [Fact]
    public async Task A_member_added_at_run_time_gets_one_connection_per_pair_and_talks_both_ways()
    {
        var address = IPAddress.Loopback;
        var nodes = await MeshNode.StartAllAsync(address, "node-a", "node-c");
        await using var a = nodes[0];
        await using var c = nodes[1];
        await WaitConnectedAsync(nodes);

        // node-b joins later: it knows everyone, and the others learn of it. a dials b; b dials c.
        await using var b = MeshNode.Listen("node-b", new IPEndPoint(address, 0));
        b.Join(new Dictionary<string, EndPoint> { ["node-a"] = a.Server.LocalEndPoint!, ["node-c"] = c.Server.LocalEndPoint!, ["node-b"] = b.Server.LocalEndPoint! });
        b.Mesh.Start();
        Assert.True(a.Mesh.AddMember("node-b", b.Server.LocalEndPoint!));
        Assert.True(c.Mesh.AddMember("node-b", b.Server.LocalEndPoint!));
        Assert.False(c.Mesh.AddMember("node-b", b.Server.LocalEndPoint!)); // already a member
        await WaitConnectedAsync([a, b, c]);

        foreach (var (from, to) in new[] { (a, b), (b, a), (b, c), (c, b) })
        {
            Assert.Equal($"{to.Id} answering {from.Id}", await from.WhoAmIAsync(to.Id));
        }

        // b accepts a's connection; c accepts a's and b's.
        await Poll.UntilAsync(() => b.Server.ConnectionCount == 1 && c.Server.ConnectionCount == 2 && a.Server.ConnectionCount == 0, "one connection per pair");
    }

    [Fact]
    public async Task Three_members_started_together_hold_exactly_one_connection_per_pair()
    {
        // Their own loopback address, so the kernel's socket table can be counted for this test alone.
        var address = IPAddress.Parse("127.0.0.63");
        var nodes = await MeshNode.StartAllAsync(address, "node-c", "node-a", "node-b");
        await using var c = nodes[0];
        await using var a = nodes[1];
        await using var b = nodes[2];
        await WaitConnectedAsync(nodes);

        foreach (var from in nodes)
        {
            foreach (var to in nodes.Where(n => n != from))
            {
                Assert.Equal($"{to.Id} answering {from.Id}", await from.WhoAmIAsync(to.Id));
                await from.NoteAsync(to.Id, "hi");
            }
        }

        await Poll.UntilAsync(() => nodes.All(n => n.Notes.Count == 2), "every note");
        // a dials b and c, b dials c: three connections for three pairs, none redialed.
        Assert.Equal([0, 1, 2], new[] { a, b, c }.Select(n => n.Server.ConnectionCount));
        Assert.Equal([0L, 1L, 2L], new[] { a, b, c }.Select(n => n.Server.AcceptedCount));
        if (KernelSockets.Available)
        {
            Assert.Equal(3 * 2, KernelSockets.EstablishedTo(address)); // both ends of three connections

            // Nothing is left open behind the meshes once they and their servers are gone.
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            await Poll.UntilAsync(() => KernelSockets.EstablishedTo(address) == 0, "every socket to close");
        }
    }

    [Fact]
    public async Task A_restarted_dialer_reconnects_and_sends_to_it_fail_fast_while_it_is_down()
    {
        var address = IPAddress.Parse("127.0.0.61");
        var nodes = await MeshNode.StartAllAsync(address, "node-a", "node-b");
        var a = nodes[0];
        await using var b = nodes[1];
        await WaitConnectedAsync(nodes);
        var aAddress = a.Server.LocalEndPoint!;
        var members = new Dictionary<string, EndPoint> { ["node-a"] = aAddress, ["node-b"] = b.Server.LocalEndPoint! };

        await a.DisposeAsync();
        await Poll.UntilAsync(() => !b.Mesh.IsConnected("node-a"), "node-b to notice node-a went away");
        var clock = Stopwatch.StartNew();
        var call = await Assert.ThrowsAsync<RpcException>(() => b.Mesh.ChannelTo("node-a").CallAsync("whoami", timeout: TimeSpan.FromSeconds(30)));
        var note = await Assert.ThrowsAsync<RpcException>(() => b.NoteAsync("node-a", "lost"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"failing took {clock.Elapsed}: it must not wait for the deadline");
        Assert.Equal(RpcStatus.Unavailable, call.Status);
        Assert.Equal(RpcStatus.Unavailable, note.Status);
        Assert.Contains("node 'node-a' dials this node", call.Message, StringComparison.Ordinal);
        await Poll.UntilAsync(() => b.Server.ConnectionCount == 0, "node-b to let go of the old connection");

        await using var again = MeshNode.Listen("node-a", aAddress, MeshNode.Options("node-a"));
        again.Join(members);
        again.Mesh.Start();
        await WaitConnectedAsync(again, b);

        Assert.Equal("node-a answering node-b", await b.WhoAmIAsync("node-a"));
        Assert.Equal("node-b answering node-a", await again.WhoAmIAsync("node-b"));
        Assert.Equal(1, b.Server.ConnectionCount);
    }

    [Fact]
    public async Task A_restarted_acceptor_is_redialed_and_sends_to_it_fail_fast_while_it_is_down()
    {
        var address = IPAddress.Parse("127.0.0.62");
        var nodes = await MeshNode.StartAllAsync(address, "node-a", "node-b");
        await using var a = nodes[0];
        var b = nodes[1];
        await WaitConnectedAsync(nodes);
        var bAddress = b.Server.LocalEndPoint!;
        var members = new Dictionary<string, EndPoint> { ["node-a"] = a.Server.LocalEndPoint!, ["node-b"] = bAddress };

        await b.DisposeAsync();
        await Poll.UntilAsync(() => !a.Mesh.IsConnected("node-b"), "node-a to notice node-b went away");
        var down = await Assert.ThrowsAsync<RpcException>(() => a.Mesh.ChannelTo("node-b").CallAsync("whoami", timeout: TimeSpan.FromSeconds(30)));
        Assert.Equal(RpcStatus.Unavailable, down.Status);
        Assert.Contains("this node dials it", down.Message, StringComparison.Ordinal);

        // Same address and port: node-a keeps redialing it with backoff.
        await using var again = MeshNode.Listen("node-b", bAddress, MeshNode.Options("node-b"));
        again.Join(members);
        again.Mesh.Start();
        await WaitConnectedAsync(a, again);

        Assert.Equal("node-a answering node-b", await again.WhoAmIAsync("node-a"));
        Assert.Equal("node-b answering node-a", await a.WhoAmIAsync("node-b"));
        Assert.Equal(1, again.Server.ConnectionCount);
        Assert.Equal(1, again.Server.AcceptedCount);
        Assert.Equal(0, a.Server.ConnectionCount);
    }

    [Fact]
    public async Task A_second_connection_from_a_member_replaces_the_first_which_is_closed()
    {
        var nodes = await MeshNode.StartAllAsync(IPAddress.Loopback, "node-a", "node-b");
        await using var a = nodes[0];
        await using var b = nodes[1];
        await WaitConnectedAsync(nodes);

        // Another connection claiming node-a, as a restarted node-a would make while its old one still looks open.
        await using var newer = new RpcPeer(b.Server.LocalEndPoint!, MeshNode.Options("node-a"));
        await newer.ConnectAsync();

        // It replaces the mesh's connection, which closes; node-a's mesh redials, and its connection replaces the
        // newer one in turn. The pair ends with one connection, node-a's own, and nothing left open behind it.
        await Poll.UntilAsync(() => !newer.IsConnected, "the extra connection to be replaced in turn");
        await WaitConnectedAsync(nodes);
        await Poll.UntilAsync(() => b.Server.ConnectionCount == 1, "one connection left at node-b");
        Assert.Equal("node-a answering node-b", await b.WhoAmIAsync("node-a"));
        Assert.Equal("node-b answering node-a", await a.WhoAmIAsync("node-b"));
        Assert.True(b.Logger.Contains("replaced by its newer connection"));
        Assert.Equal(3, b.Server.AcceptedCount);
    }

    [Fact]
    public async Task Clients_that_are_not_members_keep_every_connection_they_open()
    {
        var nodes = await MeshNode.StartAllAsync(IPAddress.Loopback, "node-a", "node-b");
        await using var a = nodes[0];
        await using var b = nodes[1];
        await WaitConnectedAsync(nodes);

        await using var first = new RpcPeer(b.Server.LocalEndPoint!, MeshNode.Options("load-client"));
        await using var second = new RpcPeer(b.Server.LocalEndPoint!, MeshNode.Options("load-client"));
        await first.CallAsync("whoami");
        await second.CallAsync("whoami");

        Assert.Equal("node-b answering load-client", (await first.CallAsync("whoami")).ParseBody(StringValue.Parser).Value);
        Assert.True(first.IsConnected);
        Assert.True(second.IsConnected);
        await Poll.UntilAsync(() => b.Server.ConnectionCount == 3, "node-b to count both clients' connections and node-a's");
        Assert.True(b.Mesh.IsConnected("node-a"));
    }

    [Fact]
    public async Task A_stranger_without_the_secret_is_refused_even_with_a_member_id()
    {
        var nodes = await MeshNode.StartAllAsync(IPAddress.Loopback, "node-a", "node-b");
        await using var a = nodes[0];
        await using var b = nodes[1];
        await WaitConnectedAsync(nodes);

        await using var stranger = new RpcPeer(b.Server.LocalEndPoint!, MeshNode.Options("node-a", secret: "a-different-secret-entirely"u8.ToArray()));
        var refused = await Assert.ThrowsAsync<RpcException>(() => stranger.ConnectAsync());

        Assert.Equal(RpcStatus.Unauthenticated, refused.Status);
        Assert.True(b.Mesh.IsConnected("node-a"));
        Assert.Equal(1, b.Server.ConnectionCount);
        Assert.Equal(1, b.Server.AcceptedCount);
        Assert.Equal("node-a answering node-b", await b.WhoAmIAsync("node-a"));
    }

    [Fact]
    public async Task Disconnect_closes_the_pair_and_the_dialer_stays_away_for_the_hold_off()
    {
        var nodes = await MeshNode.StartAllAsync(IPAddress.Loopback, "node-a", "node-b");
        await using var a = nodes[0];
        await using var b = nodes[1];
        await WaitConnectedAsync(nodes);
        var holdOff = TimeSpan.FromMilliseconds(600);

        var clock = Stopwatch.StartNew();
        a.Mesh.Disconnect("node-b", holdOff, "a test partition");
        Assert.False(a.Mesh.IsConnected("node-b"));
        await WaitConnectedAsync(nodes);

        Assert.True(clock.Elapsed >= holdOff * 0.9, $"redialed after {clock.Elapsed.TotalMilliseconds:0} ms, within the hold-off");
        Assert.Equal("node-b answering node-a", await a.WhoAmIAsync("node-b"));
        Assert.Equal(2, b.Server.AcceptedCount);
    }

    [Fact]
    public async Task Disconnect_by_the_acceptor_closes_the_pair_and_the_dialer_comes_back()
    {
        var nodes = await MeshNode.StartAllAsync(IPAddress.Loopback, "node-a", "node-b");
        await using var a = nodes[0];
        await using var b = nodes[1];
        await WaitConnectedAsync(nodes);

        b.Mesh.Disconnect("node-a", TimeSpan.FromSeconds(10), "a test partition");
        Assert.False(b.Mesh.IsConnected("node-a"));

        await Poll.UntilAsync(() => b.Server.AcceptedCount == 2, "node-a to redial");
        await WaitConnectedAsync(nodes);
        Assert.Equal("node-a answering node-b", await b.WhoAmIAsync("node-a"));
    }

    [Fact]
    public async Task A_member_dialing_from_the_wrong_side_is_served_but_the_pair_keeps_its_own_connection()
    {
        var nodes = await MeshNode.StartAllAsync(IPAddress.Loopback, "node-a", "node-b");
        await using var a = nodes[0];
        await using var b = nodes[1];
        await WaitConnectedAsync(nodes);

        // node-b (an older version, say) dials node-a although node-a dials node-b.
        await using var wrongSide = new RpcPeer(a.Server.LocalEndPoint!, MeshNode.Options("node-b"));
        Assert.Equal("node-a answering node-b", (await wrongSide.CallAsync("whoami")).ParseBody(StringValue.Parser).Value);

        await Poll.UntilAsync(() => a.Logger.Contains("dialed this node, but of this pair this node dials"), "the wrong-side dial to be logged");
        Assert.Equal("node-b answering node-a", await a.WhoAmIAsync("node-b"));
        Assert.Equal(1, b.Server.ConnectionCount);
        Assert.True(wrongSide.IsConnected);
    }

    [Fact]
    public async Task Only_members_have_channels_the_smaller_id_dials_and_a_server_belongs_to_one_mesh()
    {
        var nodes = await MeshNode.StartAllAsync(IPAddress.Loopback, "node-a", "node-b");
        await using var a = nodes[0];
        await using var b = nodes[1];

        Assert.Throws<ArgumentException>(() => a.Mesh.ChannelTo("node-z"));
        Assert.Throws<InvalidOperationException>(() => new RpcMesh(a.Server, new Dictionary<string, EndPoint>()));
        Assert.True(RpcMesh.Dialer("node-a", "node-b"));
        Assert.False(RpcMesh.Dialer("node-b", "node-a"));
        Assert.True(RpcMesh.Dialer("9", "10")); // shorter first: decimal ids compare as numbers
        Assert.False(RpcMesh.Dialer("10", "9"));
        Assert.False(RpcMesh.Dialer("7", "7"));
    }

    private static Task WaitConnectedAsync(params MeshNode[] nodes) =>
        Poll.UntilAsync(
            () => nodes.All(n => nodes.Where(m => m != n).All(m => n.Mesh.IsConnected(m.Id))),
            $"every pair of {string.Join(", ", nodes.Select(n => n.Id))} to be connected");
}

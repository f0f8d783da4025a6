using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests.Support;

/// <summary>
/// One member of a test mesh: a server on a fixed address, with "whoami" (answers this node's id and the caller's)
/// and "note" (a one-way message recorded with its sender), and an <see cref="RpcMesh"/> over it.
/// </summary>
internal sealed class MeshNode : IAsyncDisposable
{
    private MeshNode(string id, RpcServer server, CollectingLogger logger)
    {
        Id = id;
        Server = server;
        Logger = logger;
    }

    public string Id { get; }

    public RpcServer Server { get; }

    public RpcMesh Mesh { get; private set; } = null!;

    public CollectingLogger Logger { get; }

    /// <summary>The one-way notes received, as "sender: text".</summary>
    public ConcurrentQueue<string> Notes { get; } = new();

    /// <summary>Options with quick reconnects, so restart tests do not wait out a long backoff.</summary>
    public static RpcOptions Options(string id, byte[]? secret = null) => new()
    {
        NodeId = id,
        ClusterSecret = secret ?? TestCluster.Secret,
        DefaultTimeout = TimeSpan.FromSeconds(10),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>Starts servers for every id on <paramref name="address"/> (their own ports), then their meshes.</summary>
    public static async Task<MeshNode[]> StartAllAsync(IPAddress address, params string[] ids)
    {
        var nodes = ids.Select(id => Listen(id, new IPEndPoint(address, 0))).ToArray();
        var members = nodes.ToDictionary(n => n.Id, n => (EndPoint)n.Server.LocalEndPoint!);
        foreach (var node in nodes)
        {
            node.Join(members);
        }

        // All at once, so the pairs connect concurrently.
        await Task.WhenAll(nodes.Select(n => Task.Run(n.Mesh.Start)));
        return nodes;
    }

    /// <summary>A server for <paramref name="id"/> listening on <paramref name="endPoint"/>, not yet in a mesh.</summary>
    public static MeshNode Listen(string id, IPEndPoint endPoint, RpcOptions? options = null)
    {
        var logger = new CollectingLogger();
        MeshNode? node = null;
        var router = new RpcRouter()
            .MapCall("whoami", (request, _) => ValueTask.FromResult(new RpcReply(new StringValue { Value = $"{id} answering {request.RemoteNodeId}" })))
            .MapOneWay("note", (request, _) =>
            {
                node!.Notes.Enqueue($"{request.RemoteNodeId}: {request.ParseBody(StringValue.Parser).Value}");
                return ValueTask.CompletedTask;
            });
        var server = new RpcServer(options ?? Options(id), router, logger);
        node = new MeshNode(id, server, logger);
        server.Start(endPoint);
        return node;
    }

    /// <summary>Creates this node's mesh over its server (not started).</summary>
    public void Join(IReadOnlyDictionary<string, EndPoint> members) => Mesh = new RpcMesh(Server, members, Logger, new Random(7));

    public async Task<string> WhoAmIAsync(string member) =>
        (await Mesh.ChannelTo(member).CallAsync("whoami", timeout: TimeSpan.FromSeconds(5))).ParseBody(StringValue.Parser).Value;

    public Task NoteAsync(string member, string text) => Mesh.ChannelTo(member).SendAsync("note", new StringValue { Value = text });

    public async ValueTask DisposeAsync()
    {
        if (Mesh is not null)
        {
            await Mesh.DisposeAsync();
        }

        await Server.DisposeAsync();
    }
}

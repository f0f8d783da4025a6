using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Cairn.Rpc.Tests.Support;

/// <summary>Options, servers and peers on 127.0.0.1 with ephemeral ports, sharing one random cluster secret.</summary>
internal static class TestCluster
{
    public static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);

    public static RpcOptions Options(string nodeId, byte[]? secret = null, RpcTlsOptions? tls = null) => new()
    {
        NodeId = nodeId,
        ClusterSecret = secret ?? Secret,
        Tls = tls,
        DefaultTimeout = TimeSpan.FromSeconds(10),
    };

    public static RpcServer StartServer(RpcRouter router, RpcOptions? options = null, ILogger? logger = null, int port = 0, IPAddress? address = null)
    {
        var server = new RpcServer(options ?? Options("server"), router, logger);
        server.Start(new IPEndPoint(address ?? IPAddress.Loopback, port));
        return server;
    }

    public static RpcPeer PeerOf(RpcServer server, RpcOptions? options = null, ILogger? logger = null, Random? jitter = null) =>
        new(server.LocalEndPoint!, options ?? Options("client"), logger, jitter ?? new Random(42));

    /// <summary>A router with "echo": answers the request's body and payload unchanged.</summary>
    public static RpcRouter EchoRouter() => new RpcRouter().MapCall("echo", (request, _) =>
        ValueTask.FromResult(new RpcReply(Google.Protobuf.WellKnownTypes.BytesValue.Parser.ParseFrom(request.Body.Span), request.Payload)));
}

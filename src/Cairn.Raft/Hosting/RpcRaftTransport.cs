using System.Globalization;
using System.Net;
using Cairn.Raft.Hosting.Protocol;
using Cairn.Rpc;
using Microsoft.Extensions.Logging;

namespace Cairn.Raft.Hosting;

/// <summary>
/// Carries a <see cref="RaftHost"/>'s messages over <see cref="Cairn.Rpc"/>: each round's messages for a peer go as
/// one one-way <see cref="RaftBatch"/> on the connection to it (cluster-secret handshake, optional TLS, reconnect
/// with backoff all come from the transport). Sending never blocks the host's loop; a message that cannot be sent
/// is dropped, and Raft sends it again.
/// </summary>
public sealed class RpcRaftTransport : IRaftTransport, IAsyncDisposable
{
    /// <summary>The one-way method hosts send batches to.</summary>
    public const string Method = "raft.batch";

    private readonly Dictionary<ulong, RpcPeer> _peers = [];
    private readonly ILogger? _logger;

    /// <summary>Creates connections (made on first use) to every peer but this node.</summary>
    /// <param name="self">This node's id.</param>
    /// <param name="peers">Every node's id and transport address.</param>
    /// <param name="options">Transport settings; <see cref="RpcOptions.NodeId"/> must be this node's id in decimal.</param>
    /// <param name="logger">Where dropped sends are logged, or null.</param>
    public RpcRaftTransport(ulong self, IReadOnlyDictionary<ulong, EndPoint> peers, RpcOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        foreach (var (id, address) in peers)
        {
            if (id != self)
            {
                _peers[id] = new RpcPeer(address, options, logger, expectedNodeId: id.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>Routes inbound batches to <paramref name="host"/>; a malformed batch fails only that call.</summary>
    public static RpcRouter MapInbound(RpcRouter router, RaftHost host)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(host);
        return router.MapOneWay(Method, (request, _) =>
        {
            host.Deliver(RaftMessageCodec.Decode(request.ParseBody(RaftBatch.Parser)));
            return ValueTask.CompletedTask;
        });
    }

    /// <inheritdoc/>
    public void Send(ulong to, IReadOnlyList<GroupMessage> messages)
    {
        if (_peers.TryGetValue(to, out var peer))
        {
            _ = SendQuietlyAsync(peer, RaftMessageCodec.Encode(messages));
        }
    }

    /// <summary>Closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers.Values)
        {
            await peer.DisposeAsync();
        }
    }

    private async Task SendQuietlyAsync(RpcPeer peer, RaftBatch batch)
    {
        try
        {
            await peer.SendAsync(Method, batch);
        }
        catch (Exception e) when (e is RpcException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            _logger?.LogDebug("raft batch to {Peer} dropped: {Reason}", peer.RemoteEndPoint, e.Message);
        }
    }
}

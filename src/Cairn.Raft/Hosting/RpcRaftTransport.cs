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

    /// <summary>The stream method a leader's host sends a snapshot file to: the header is a one-message <see cref="RaftBatch"/>.</summary>
    public const string SnapshotMethod = "raft.snapshot";

    private readonly Dictionary<ulong, RpcPeer> _peers = [];
    private readonly Dictionary<ulong, EndPoint> _addresses = [];
    private readonly Dictionary<ulong, long> _cutUntil = []; // Environment.TickCount64 deadlines; under _peers
    private readonly RpcOptions _options;
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
        _options = options;
        foreach (var (id, address) in peers)
        {
            if (id != self)
            {
                _addresses[id] = address;
                _peers[id] = Connect(id);
            }
        }
    }

    /// <summary>
    /// Fault injection (multi-process tests): for <paramref name="duration"/>, closes the connections to
    /// <paramref name="peers"/> and drops every batch to or from them, as a network partition would.
    /// </summary>
    public void Isolate(IEnumerable<ulong> peers, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var until = Environment.TickCount64 + (long)duration.TotalMilliseconds;
        List<RpcPeer> closing = [];
        lock (_peers)
        {
            foreach (var id in peers)
            {
                if (_addresses.ContainsKey(id))
                {
                    _cutUntil[id] = until;
                    closing.Add(_peers[id]);
                    _peers[id] = Connect(id); // a fresh peer, used again once the cut heals
                }
            }
        }

        foreach (var peer in closing)
        {
            _ = peer.DisposeAsync().AsTask();
        }
    }

    /// <summary>How long one snapshot transfer may take before it is abandoned (and retried by the leader). Default 1 hour.</summary>
    public TimeSpan SnapshotTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Whether traffic with <paramref name="peer"/> is cut right now.</summary>
    public bool IsCut(ulong peer)
    {
        lock (_peers)
        {
            return _cutUntil.TryGetValue(peer, out var until) && Environment.TickCount64 < until;
        }
    }

    /// <summary>Routes inbound batches and snapshots to <paramref name="host"/>; a malformed one fails only that call.</summary>
    public RpcRouter MapInbound(RpcRouter router, RaftHost host)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(host);
        router.MapStream(SnapshotMethod, async (stream, cancellationToken) =>
        {
            if (ulong.TryParse(stream.RemoteNodeId, NumberStyles.None, CultureInfo.InvariantCulture, out var from) && IsCut(from))
            {
                throw new RpcException(RpcStatus.Unavailable, "partitioned");
            }

            var messages = RaftMessageCodec.Decode(stream.ParseBody(RaftBatch.Parser));
            if (messages.Count != 1)
            {
                throw new RpcException(RpcStatus.InvalidArgument, $"A snapshot stream carries one message, not {messages.Count}.");
            }

            try
            {
                await using var data = stream.AsStream();
                await host.ReceiveSnapshotAsync(messages[0], data, cancellationToken);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or Cairn.Storage.CorruptionException or IOException)
            {
                throw new RpcException(RpcStatus.InvalidArgument, $"Snapshot refused: {e.Message}");
            }

            return RpcReply.Empty;
        });
        return router.MapOneWay(Method, (request, _) =>
        {
            if (ulong.TryParse(request.RemoteNodeId, NumberStyles.None, CultureInfo.InvariantCulture, out var from) && IsCut(from))
            {
                return ValueTask.CompletedTask; // partitioned: as if it never arrived
            }

            host.Deliver(RaftMessageCodec.Decode(request.ParseBody(RaftBatch.Parser)));
            return ValueTask.CompletedTask;
        });
    }

    /// <inheritdoc/>
    public void Send(ulong to, IReadOnlyList<GroupMessage> messages)
    {
        RpcPeer? peer;
        lock (_peers)
        {
            if (!_peers.TryGetValue(to, out peer) || (_cutUntil.TryGetValue(to, out var until) && Environment.TickCount64 < until))
            {
                return;
            }
        }

        _ = SendQuietlyAsync(peer, RaftMessageCodec.Encode(messages));
    }

    /// <inheritdoc/>
    public void SendSnapshot(ulong to, GroupMessage message, Stream data, Action<bool> completed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(completed);
        RpcPeer? peer;
        lock (_peers)
        {
            if (!_peers.TryGetValue(to, out peer) || (_cutUntil.TryGetValue(to, out var until) && Environment.TickCount64 < until))
            {
                peer = null;
            }
        }

        if (peer is null)
        {
            data.Dispose();
            completed(false);
            return;
        }

        _ = StreamSnapshotAsync(peer, message, data, completed);
    }

    /// <summary>Closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        List<RpcPeer> peers;
        lock (_peers)
        {
            peers = [.. _peers.Values];
        }

        foreach (var peer in peers)
        {
            await peer.DisposeAsync();
        }
    }

    private RpcPeer Connect(ulong id) => new(_addresses[id], _options, _logger, expectedNodeId: id.ToString(CultureInfo.InvariantCulture));

    private async Task StreamSnapshotAsync(RpcPeer peer, GroupMessage message, Stream data, Action<bool> completed)
    {
        var delivered = false;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            await using var writer = await peer.OpenStreamAsync(SnapshotMethod, RaftMessageCodec.Encode([message]), SnapshotTimeout);
            while (true)
            {
                var read = await data.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                await writer.WriteAsync(buffer.AsMemory(0, read));
            }

            await writer.CompleteAsync();
            delivered = true;
        }
        catch (Exception e) when (e is RpcException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            _logger?.LogInformation("snapshot {Index} of group {Group} to {Peer} failed: {Reason}", message.Message.Snapshot?.Index, message.GroupId, peer.RemoteEndPoint, e.Message);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            await data.DisposeAsync();
            completed(delivered);
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

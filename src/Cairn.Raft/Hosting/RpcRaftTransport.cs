using System.Globalization;
using System.Net;
using Cairn.Raft.Hosting.Protocol;
using Cairn.Rpc;
using Microsoft.Extensions.Logging;

namespace Cairn.Raft.Hosting;

/// <summary>
/// Carries a <see cref="RaftHost"/>'s messages over <see cref="Cairn.Rpc"/>: each round's messages for a peer go as
/// one one-way <see cref="RaftBatch"/> on the pair's one connection, an <see cref="RpcMesh"/> over this node's
/// server (of two nodes the smaller id dials, the other sends back over the accepted connection; cluster-secret
/// handshake, optional TLS, reconnect with backoff all come from the transport). Sending never blocks the host's
/// loop; a message that cannot be sent now (no connection, a full queue) is dropped, and Raft sends it again.
/// </summary>
public sealed class RpcRaftTransport : IRaftTransport, IAsyncDisposable
{
    /// <summary>The one-way method hosts send batches to.</summary>
    public const string Method = "raft.batch";

    /// <summary>The stream method a leader's host sends a snapshot file to: the header is a one-message <see cref="RaftBatch"/>.</summary>
    public const string SnapshotMethod = "raft.snapshot";

    private readonly Dictionary<ulong, EndPoint> _addresses = [];
    private readonly Dictionary<ulong, long> _cutUntil = []; // Environment.TickCount64 deadlines; under _lock
    private readonly Lock _lock = new();
    private readonly RpcOptions _options;
    private readonly ILogger? _logger;
    private Dictionary<ulong, IRpcChannel> _channels = []; // set once by Attach
    private RpcMesh? _mesh;

    /// <summary>
    /// Creates the transport for every peer but this node. It connects nothing until <see cref="Attach"/> gives it
    /// this node's server; until then sends are dropped.
    /// </summary>
    /// <param name="self">This node's id.</param>
    /// <param name="peers">Every node's id and transport address.</param>
    /// <param name="options">Transport settings; <see cref="RpcOptions.NodeId"/> must be this node's id in decimal.</param>
    /// <param name="logger">Where dropped sends and connection events are logged, or null.</param>
    public RpcRaftTransport(ulong self, IReadOnlyDictionary<ulong, EndPoint> peers, RpcOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(options);
        if (options.NodeId != Name(self))
        {
            throw new ArgumentException($"RpcOptions.NodeId is '{options.NodeId}' but this node is {self}: peers identify each other by it", nameof(options));
        }

        _logger = logger;
        _options = options;
        foreach (var (id, address) in peers)
        {
            if (id != self)
            {
                _addresses[id] = address;
            }
        }
    }

    /// <summary>
    /// Joins the peers through <paramref name="server"/>, this node's own server, built with these options and a
    /// router <see cref="MapInbound"/> has filled: this node dials the peers with larger ids and keeps those
    /// connections up, and sends to the others over the connections they dial to <paramref name="server"/>. Call
    /// once, before the host starts (before or after <see cref="RpcServer.Start"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Already attached, or the server already belongs to a mesh.</exception>
    public void Attach(RpcServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        lock (_lock)
        {
            if (_mesh is not null)
            {
                throw new InvalidOperationException("the transport is already attached to a server");
            }
        }

        var mesh = new RpcMesh(server, _addresses.ToDictionary(p => Name(p.Key), p => p.Value), _logger);
        if (mesh.NodeId != _options.NodeId)
        {
            throw new ArgumentException($"the server is node '{mesh.NodeId}' but this transport is node '{_options.NodeId}'", nameof(server));
        }

        lock (_lock)
        {
            if (_mesh is not null)
            {
                throw new InvalidOperationException("the transport is already attached to a server");
            }

            _channels = _addresses.Keys.ToDictionary(id => id, id => mesh.ChannelTo(Name(id)));
            _mesh = mesh;
        }

        mesh.Start();
    }

    /// <summary>
    /// Adds a node that joined the cluster at run time, so this node's groups can reach it (before proposing it as a
    /// learner of a group). Its pair shares one connection like the others. Adding a known node does nothing.
    /// </summary>
    public void AddPeer(ulong id, EndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (Name(id) == _options.NodeId)
        {
            return;
        }

        RpcMesh? mesh;
        lock (_lock)
        {
            if (!_addresses.TryAdd(id, address))
            {
                return;
            }

            mesh = _mesh;
        }

        if (mesh is not null)
        {
            mesh.AddMember(Name(id), address);
            lock (_lock)
            {
                _channels = new Dictionary<ulong, IRpcChannel>(_channels) { [id] = mesh.ChannelTo(Name(id)) };
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
        List<ulong> cut = [];
        RpcMesh? mesh;
        lock (_lock)
        {
            mesh = _mesh;
            foreach (var id in peers)
            {
                if (_addresses.ContainsKey(id))
                {
                    _cutUntil[id] = until;
                    cut.Add(id);
                }
            }
        }

        foreach (var id in cut)
        {
            // Whichever side dialed; if this node dials, it stays away for the cut (the other side drops traffic too).
            mesh?.Disconnect(Name(id), duration, "isolated by fault injection (raft.isolate)");
        }
    }

    /// <summary>How long one snapshot transfer may take before it is abandoned (and retried by the leader). Default 1 hour.</summary>
    public TimeSpan SnapshotTimeout { get; init; } = TimeSpan.FromHours(1);


    /// <summary>Whether traffic with <paramref name="peer"/> is cut right now.</summary>
    public bool IsCut(ulong peer)
    {
        lock (_lock)
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
                await host.ReceiveSnapshotAsync(messages[0], stream.ReadChunksAsync(cancellationToken), cancellationToken);
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
        var channel = ChannelTo(to);
        if (channel is null)
        {
            return;
        }

        if (!channel.IsConnected)
        {
            // Not even worth encoding: the send would fail at once. Raft resends once the pair reconnects.
            _logger?.LogDebug("raft batch to {Peer} dropped: no connection", to);
            return;
        }

        _ = SendQuietlyAsync(channel, to, RaftMessageCodec.Encode(messages));
    }

    /// <inheritdoc/>
    public void SendSnapshot(ulong to, GroupMessage message, Stream data, Action<bool> completed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(completed);
        if (ChannelTo(to) is not { IsConnected: true } channel)
        {
            data.Dispose();
            completed(false);
            return;
        }

        _ = StreamSnapshotAsync(channel, to, message, data, completed);
    }

    /// <summary>Stops dialing and closes the connections this node dialed (the server closes the ones it accepted).</summary>
    public async ValueTask DisposeAsync()
    {
        RpcMesh? mesh;
        lock (_lock)
        {
            mesh = _mesh;
        }

        if (mesh is not null)
        {
            await mesh.DisposeAsync();
        }
    }

    private static string Name(ulong id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether the pair's connection to <paramref name="peer"/> is open now (false before <see cref="Attach"/>, or for an unknown peer).</summary>
    public bool IsConnected(ulong peer)
    {
        RpcMesh? mesh;
        lock (_lock)
        {
            mesh = _mesh;
            if (!_channels.ContainsKey(peer))
            {
                return false;
            }
        }

        return mesh is not null && mesh.IsConnected(Name(peer));
    }

    /// <summary>
    /// The channel to <paramref name="to"/> over the pair's one connection, or null when not attached, not a peer, or
    /// cut off. A node's own calls to its peers (beyond Raft's) go over it too.
    /// </summary>
    public IRpcChannel? ChannelTo(ulong to)
    {
        lock (_lock)
        {
            if (!_channels.TryGetValue(to, out var channel) || (_cutUntil.TryGetValue(to, out var until) && Environment.TickCount64 < until))
            {
                return null;
            }

            return channel;
        }
    }

    private async Task StreamSnapshotAsync(IRpcChannel channel, ulong to, GroupMessage message, Stream data, Action<bool> completed)
    {
        var delivered = false;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            await using var writer = await channel.OpenStreamAsync(SnapshotMethod, RaftMessageCodec.Encode([message]), SnapshotTimeout);
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
            _logger?.LogInformation("snapshot {Index} of group {Group} to {Peer} failed: {Reason}", message.Message.Snapshot?.Index, message.GroupId, to, e.Message);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            await data.DisposeAsync();
            completed(delivered);
        }
    }

    private async Task SendQuietlyAsync(IRpcChannel channel, ulong to, RaftBatch batch)
    {
        try
        {
            await channel.SendAsync(Method, batch);
        }
        catch (Exception e) when (e is RpcException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            _logger?.LogDebug("raft batch to {Peer} dropped: {Reason}", to, e.Message);
        }
    }
}

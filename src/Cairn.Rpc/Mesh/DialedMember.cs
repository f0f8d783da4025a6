using System.Diagnostics;
using System.Net;
using Cairn.Rpc.Connection;
using Microsoft.Extensions.Logging;

namespace Cairn.Rpc.Mesh;

/// <summary>
/// A member this node dials. It keeps the connection up all the time, not only on first use: the member sends to
/// this node over the same connection and cannot dial back, so a quiet dialer would otherwise leave it mute. A lost
/// connection is redialed at once, then with the peer's backoff while attempts fail.
/// </summary>
internal sealed class DialedMember : MeshMember
{
    // A connection that dies sooner than this counts as a failure for the backoff: two processes sharing one node id
    // would otherwise replace each other's connection at the other end in a tight loop.
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(1);

    private readonly RpcPeer _peer;
    private readonly ILogger _logger;
    private readonly ReconnectBackoff _flapping;
    private readonly CancellationTokenSource _stopping = new();
    private Task _keeper = Task.CompletedTask;

    public DialedMember(string nodeId, EndPoint address, RpcOptions options, RpcRouter router, ILogger logger, Random jitter)
        : base(nodeId, options)
    {
        _logger = logger;
        _flapping = new ReconnectBackoff(options.ReconnectMinDelay, options.ReconnectMaxDelay, jitter);
        // The router serves what the member sends back over this connection: the pair has no other.
        _peer = new RpcPeer(address, options, logger, jitter, expectedNodeId: nodeId, router: router);
    }

    public override bool Dials => true;

    protected override RpcConnection? Current => _peer.Connection;

    public override void Start() => _keeper = Task.Run(KeepConnectedAsync);

    public override void Disconnect(string reason, TimeSpan holdOff) => _peer.Drop(reason, holdOff);

    protected override async ValueTask DisposeCoreAsync()
    {
        await _stopping.CancelAsync();
        await _keeper;
        await _peer.DisposeAsync();
        _stopping.Dispose();
    }

    protected override string WhyNoConnection() =>
        $"this node dials it at {_peer.RemoteEndPoint} and is reconnecting ({_peer.LastFailure ?? "the connection was lost"})";

    private async Task KeepConnectedAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                // Retries with the peer's backoff until connected; only a refusal (wrong secret, another node at that
                // address) comes back, and the backoff it recorded paces the next attempt.
                await _peer.ConnectAsync(token);
            }
            catch (RpcException e)
            {
                RpcLog.MeshDialRefused(_logger, NodeId, _peer.RemoteEndPoint.ToString() ?? "peer", e.Message);
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            if (_peer.Connection is not { } connection)
            {
                continue;
            }

            var opened = Stopwatch.GetTimestamp();
            try
            {
                await connection.Closing.WaitAsync(token);
                var lived = Stopwatch.GetElapsedTime(opened);
                if (lived >= StableAfter)
                {
                    _flapping.Succeeded();
                    continue;
                }

                var delay = _flapping.Failed();
                RpcLog.MeshConnectionFlapped(_logger, NodeId, (long)lived.TotalMilliseconds, connection.CloseReason, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

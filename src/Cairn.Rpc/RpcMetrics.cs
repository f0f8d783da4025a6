using System.Diagnostics.Metrics;

namespace Cairn.Rpc;

/// <summary>
/// The transport's counters, on the meter named <see cref="MeterName"/> (exported as Prometheus text by the gateway).
/// Process-wide: every server and peer in the process adds to the same counters.
/// </summary>
public static class RpcMetrics
{
    /// <summary>The name of the meter the counters are published on.</summary>
    public const string MeterName = "Cairn.Rpc";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly Counter<long> FramesSent = Meter.CreateCounter<long>("cairn.rpc.frames.sent", "{frame}", "Frames written to RPC connections.");

    internal static readonly Counter<long> BytesSent = Meter.CreateCounter<long>("cairn.rpc.bytes.sent", "By", "Bytes written to RPC connections, headers included.");

    internal static readonly Counter<long> FramesReceived = Meter.CreateCounter<long>("cairn.rpc.frames.received", "{frame}", "Valid frames received on RPC connections.");

    internal static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>("cairn.rpc.bytes.received", "By", "Bytes of valid frames received, headers included.");

    internal static readonly Counter<long> HandshakeFailures = Meter.CreateCounter<long>("cairn.rpc.handshake.failures", "{connection}", "Incoming connections refused in TLS or the cluster-secret handshake.");

    internal static readonly Counter<long> ProtocolViolations = Meter.CreateCounter<long>("cairn.rpc.protocol.violations", "{connection}", "Connections closed because the peer sent a malformed frame or broke the protocol.");

    internal static readonly Counter<long> DeadlinesExceeded = Meter.CreateCounter<long>("cairn.rpc.deadlines.exceeded", "{call}", "Calls that got no answer within their deadline.");

    internal static readonly Counter<long> ConnectionsOpened = Meter.CreateCounter<long>("cairn.rpc.connections.opened", "{connection}", "Authenticated connections opened, tagged side=dialed or side=accepted.");

    internal static readonly Counter<long> ConnectionsReplaced = Meter.CreateCounter<long>("cairn.rpc.connections.replaced", "{connection}", "Mesh connections closed because the same node dialed again (one connection per peer pair).");
}

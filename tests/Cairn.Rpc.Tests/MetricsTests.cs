using System.Diagnostics.Metrics;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class MetricsTests
{
    [Fact]
    public async Task Frames_and_protocol_violations_are_counted()
    {
        var totals = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RpcMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value));
        listener.Start();
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter());
        await using var peer = TestCluster.PeerOf(server);

        await peer.CallAsync("echo", new BytesValue());
        await using var bad = await RawConnection.ConnectAsync(server.LocalEndPoint!, handshake: true);
        await bad.SendAsync(new byte[64]);
        await bad.WaitForCloseAsync();

        // Counters are process-wide and tests run in parallel, so only lower bounds can be asserted.
        await Poll.UntilAsync(() => totals.GetValueOrDefault("cairn.rpc.protocol.violations") >= 1, "a counted protocol violation");
        Assert.True(totals.GetValueOrDefault("cairn.rpc.frames.sent") >= 2);
        Assert.True(totals.GetValueOrDefault("cairn.rpc.frames.received") >= 2);
        Assert.True(totals.GetValueOrDefault("cairn.rpc.bytes.sent") > 0);
    }
}

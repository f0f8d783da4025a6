using Cairn.Rpc.Streams;

namespace Cairn.Rpc.Connection;

/// <summary>A call or stream the peer started that this side is running: how to cancel it, and where stream data goes.</summary>
internal sealed class ServerCall(CancellationTokenSource cancellation, IncomingStream? stream) : IDisposable
{
    public CancellationTokenSource Cancellation { get; } = cancellation;

    public IncomingStream? Stream { get; } = stream;

    /// <summary>Set when the peer sent Cancel: its deadline passed or it gave up.</summary>
    public bool CancelledByPeer { get; set; }

    public void Dispose() => Cancellation.Dispose();
}

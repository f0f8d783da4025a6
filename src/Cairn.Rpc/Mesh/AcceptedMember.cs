using Cairn.Rpc.Connection;

namespace Cairn.Rpc.Mesh;

/// <summary>
/// A member that dials this node: the pair's connection is the newest one it made to this node's server. This side
/// never dials it, so while the member is down, restarting or cut off there is simply no connection until it
/// returns, and sends fail at once.
/// </summary>
internal sealed class AcceptedMember(string nodeId, RpcOptions options, RpcServer server) : MeshMember(nodeId, options)
{
    public override bool Dials => false;

    protected override RpcConnection? Current => server.TryGetConnection(NodeId, out var connection) ? connection : null;

    public override void Start()
    {
        // Nothing to do: the member dials.
    }

    public override void Disconnect(string reason, TimeSpan holdOff)
    {
        if (server.TryGetConnection(NodeId, out var connection))
        {
            _ = connection.CloseAsync(reason);
        }
    }

    // The connection is the server's: it closes with the server, or when the member goes.
    protected override ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    protected override string WhyNoConnection() =>
        $"node '{NodeId}' dials this node (of a pair, the smaller id dials) and has no connection to it now: it is down, restarting or cut off";
}

using Microsoft.Extensions.Logging;

namespace Cairn.Rpc;

/// <summary>The transport's log messages, compiled once (no formatting cost when the level is off).</summary>
internal static partial class RpcLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "RPC connection with {Peer} closed: {Reason}")]
    public static partial void ProtocolViolation(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "RPC handshake with {Peer} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "RPC connection to {Peer} (node '{NodeId}') established; this node dialed")]
    public static partial void Dialed(ILogger logger, string peer, string nodeId);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "RPC connection from {Peer} (node '{NodeId}') accepted; that node dialed")]
    public static partial void Accepted(ILogger logger, string peer, string nodeId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "RPC connection with {Peer} ended: {Reason}")]
    public static partial void Disconnected(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "RPC handler for '{Method}' from {Peer} failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string method, string peer);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "RPC accept failed: {Reason}; retrying in {DelayMs} ms")]
    public static partial void AcceptFailed(ILogger logger, string reason, long delayMs);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "RPC connection from {Peer} refused: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Debug, Message = "RPC one-way message '{Method}' from {Peer} dropped: no handler")]
    public static partial void NoOneWayHandler(ILogger logger, string method, string peer);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "RPC connection with {Peer} failed unexpectedly")]
    public static partial void Unexpected(ILogger logger, Exception exception, string peer);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "RPC connect to {Peer} failed ({Reason}); next attempt in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, string peer, string reason, long delayMs);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "RPC connection from node '{NodeId}' at {OldPeer} replaced by its newer connection from {NewPeer}; closing the old one")]
    public static partial void Replaced(ILogger logger, string nodeId, string oldPeer, string newPeer);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "node '{NodeId}' ({Peer}) dialed this node, but of this pair this node dials (the smaller id dials); serving its calls, sending over this node's own connection")]
    public static partial void DialedFromWrongSide(ILogger logger, string nodeId, string peer);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "RPC mesh of node '{NodeId}': this node dials [{Dials}] and waits for [{Waits}] to dial it")]
    public static partial void MeshStarted(ILogger logger, string nodeId, string dials, string waits);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "RPC mesh: node '{NodeId}' at {Peer} refused this node ({Reason}); retrying with backoff")]
    public static partial void MeshDialRefused(ILogger logger, string nodeId, string peer, string reason);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "RPC connection to node '{NodeId}' lasted only {LivedMs} ms ({Reason}); redialing in {DelayMs} ms")]
    public static partial void MeshConnectionFlapped(ILogger logger, string nodeId, long livedMs, string reason, long delayMs);
}

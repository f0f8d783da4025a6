using Microsoft.Extensions.Logging;

namespace Cairn.Rpc;

/// <summary>The transport's log messages, compiled once (no formatting cost when the level is off).</summary>
internal static partial class RpcLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "RPC connection with {Peer} closed: {Reason}")]
    public static partial void ProtocolViolation(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "RPC handshake with {Peer} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "RPC connection with {Peer} (node '{NodeId}') established")]
    public static partial void Connected(ILogger logger, string peer, string nodeId);

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
}

namespace Cairn.Rpc;

/// <summary>
/// An RPC failed. <see cref="Status"/> says what kind of failure it was, so callers can tell a deadline from an
/// unreachable peer from a handler's error; the message names the method, the peer and what to do.
/// Handlers may throw it too: its status and message reach the caller.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RpcException(RpcStatus status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
    }

    /// <summary>What kind of failure this is.</summary>
    public RpcStatus Status { get; }
}

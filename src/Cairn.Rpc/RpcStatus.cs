namespace Cairn.Rpc;

/// <summary>Why an RPC did not succeed. The numbers travel on the wire in a response; do not renumber.</summary>
public enum RpcStatus
{
    /// <summary>The call succeeded.</summary>
    Ok = 0,

    /// <summary>The deadline passed before the response arrived; the server may or may not have run the call.</summary>
    DeadlineExceeded = 1,

    /// <summary>The peer cannot be reached, or the connection closed before the response arrived.</summary>
    Unavailable = 2,

    /// <summary>The handshake failed: the two sides do not share the cluster secret, or TLS validation failed.</summary>
    Unauthenticated = 3,

    /// <summary>No handler is registered for the method on the server.</summary>
    UnknownMethod = 4,

    /// <summary>A bounded queue or limit was full: the send queue, or the server's concurrent calls.</summary>
    ResourceExhausted = 5,

    /// <summary>The caller cancelled the call.</summary>
    Cancelled = 6,

    /// <summary>The server's handler failed; the message says how.</summary>
    HandlerFailed = 7,

    /// <summary>The handler rejected the request's content (bad arguments).</summary>
    InvalidArgument = 8,

    /// <summary>The sender of a stream aborted it.</summary>
    Aborted = 9,
}

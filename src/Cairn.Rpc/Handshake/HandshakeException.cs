namespace Cairn.Rpc.Handshake;

/// <summary>The acceptor refused a dialer during the handshake; the message is the reason logged and sent back.</summary>
internal sealed class HandshakeException(string message) : Exception(message);

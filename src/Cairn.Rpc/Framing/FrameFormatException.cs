namespace Cairn.Rpc.Framing;

/// <summary>
/// The bytes received are not a valid frame, or break the protocol. The connection they came on cannot be trusted
/// any more and is closed; the message is the reason that is logged.
/// </summary>
internal sealed class FrameFormatException(string message) : Exception(message);

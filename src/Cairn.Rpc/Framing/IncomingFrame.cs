using Google.Protobuf;

namespace Cairn.Rpc.Framing;

/// <summary>A whole, checksum-verified frame, copied out of the receive buffer so it may outlive it.</summary>
internal sealed class IncomingFrame(FrameHeader header, byte[] message, byte[] payload)
{
    public FrameHeader Header { get; } = header;

    public FrameType Type => Header.Type;

    public ulong Id => Header.Id;

    public byte[] Message { get; } = message;

    public byte[] Payload { get; } = payload;

    /// <summary>Parses the envelope; a message that is not valid protobuf is a protocol error.</summary>
    public T Parse<T>(MessageParser<T> parser)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(Message);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FrameFormatException($"{Type} frame carries an invalid {typeof(T).Name} message: {e.Message}");
        }
    }
}

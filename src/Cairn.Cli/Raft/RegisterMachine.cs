using Cairn.Raft.Hosting;
using Cairn.Raft.Hosting.Protocol;
using Google.Protobuf;

namespace Cairn.Cli.Raft;

/// <summary>
/// The replicated register of <c>cairn raft-node</c>: each command is a <see cref="RegisterRequest"/>; a put stores
/// the value, a get (through the log, so linearizable) returns it encoded as a <see cref="RegisterReply"/>.
/// </summary>
internal sealed class RegisterMachine : IGroupStateMachine
{
    private readonly Dictionary<ByteString, ByteString> _values = [];

    public byte[]? Apply(ulong index, ReadOnlyMemory<byte> command)
    {
        RegisterRequest request;
        try
        {
            request = RegisterRequest.Parser.ParseFrom(command.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FormatException($"entry {index} is not a register command: {e.Message}", e);
        }

        if (request.IsGet)
        {
            var found = _values.TryGetValue(request.Key, out var value);
            return new RegisterReply { Found = found, Value = value ?? ByteString.Empty }.ToByteArray();
        }

        _values[request.Key] = request.Value;
        return null;
    }
}

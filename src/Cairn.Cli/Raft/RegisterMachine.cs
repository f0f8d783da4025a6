using Cairn.Raft.Hosting;
using Cairn.Raft.Hosting.Protocol;
using Google.Protobuf;

namespace Cairn.Cli.Raft;

/// <summary>
/// The replicated register of <c>cairn raft-node</c>: each command is a <see cref="RegisterRequest"/>; a put stores
/// the value, a get through the log returns it encoded as a <see cref="RegisterReply"/>. Gets normally skip the log
/// (ReadIndex, then <see cref="Read"/> from the RPC thread), hence the lock.
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
            return Read(request.Key).ToByteArray();
        }

        lock (_values)
        {
            _values[request.Key] = request.Value;
        }

        return null;
    }

    /// <summary>Writes every key and value as length-delimited <see cref="RegisterRequest"/> messages, in key order.</summary>
    public void WriteSnapshot(Stream destination)
    {
        lock (_values)
        {
            foreach (var (key, value) in _values.OrderBy(p => p.Key.ToBase64(), StringComparer.Ordinal))
            {
                new RegisterRequest { Key = key, Value = value }.WriteDelimitedTo(destination);
            }
        }
    }

    /// <summary>Replaces the values with those <see cref="WriteSnapshot"/> wrote.</summary>
    public void RestoreSnapshot(Stream source)
    {
        var values = new Dictionary<ByteString, ByteString>();
        try
        {
            var input = new CodedInputStream(source, leaveOpen: true);
            while (!input.IsAtEnd)
            {
                var request = new RegisterRequest();
                input.ReadMessage(request);
                values[request.Key] = request.Value;
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FormatException($"not a register snapshot: {e.Message}", e);
        }

        lock (_values)
        {
            _values.Clear();
            foreach (var (key, value) in values)
            {
                _values[key] = value;
            }
        }
    }

    /// <summary>The current value of <paramref name="key"/> on this replica.</summary>
    public RegisterReply Read(ByteString key)
    {
        lock (_values)
        {
            var found = _values.TryGetValue(key, out var value);
            return new RegisterReply { Found = found, Value = value ?? ByteString.Empty };
        }
    }
}

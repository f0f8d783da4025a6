using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Resp;
using Cairn.Kv.Server;

namespace Cairn.Kv.Commands;

/// <summary>
/// What a command handler sees: its arguments (spans into the receive buffer), the reply writer, the client's
/// state and the keyspace. Lives only while the handler runs.
/// </summary>
internal readonly ref struct CommandContext
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly RespRequest _request;

    public CommandContext(ReadOnlySpan<byte> buffer, RespRequest request, ClientConnection client)
    {
        _buffer = buffer;
        _request = request;
        Client = client;
    }

    public ClientConnection Client { get; }

    public IKvBackend Backend => Client.Server.Backend;

    public IBufferWriter<byte> Reply => Client.Output;

    public int Protocol => Client.Protocol;

    /// <summary>Arguments including the command name.</summary>
    public int Count => _request.Count;

    public ReadOnlySpan<byte> Arg(int index) => _request.Arg(_buffer, index);

    public string ArgString(int index) => Encoding.UTF8.GetString(Arg(index));

    /// <summary>Whether argument <paramref name="index"/> equals <paramref name="ascii"/>, ignoring ASCII case.</summary>
    public bool ArgIs(int index, ReadOnlySpan<byte> ascii) => Ascii.EqualsIgnoreCase(Arg(index), ascii);

    public bool TryArgInt64(int index, out long value)
    {
        var arg = Arg(index);
        return Utf8Parser.TryParse(arg, out value, out var used) && used == arg.Length && arg.Length > 0;
    }

    /// <summary>Parses an integer argument or throws the error Redis gives.</summary>
    public long ArgInt64(int index) => TryArgInt64(index, out var value) ? value : throw KvException.NotAnInteger();

    /// <summary>Records a write the reply must not be sent before it is durable.</summary>
    public void Wrote(ulong token) => Client.NoteWrite(token);

    public void Ok() => RespWriter.Ok(Reply);

    public void Error(string message) => RespWriter.Error(Reply, message);

    public void Integer(long value) => RespWriter.Integer(Reply, value);

    public void Bulk(ReadOnlySpan<byte> value) => RespWriter.Bulk(Reply, value);

    public void Null() => RespWriter.Null(Reply, Protocol);
}

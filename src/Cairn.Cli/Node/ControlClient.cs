using System.Buffers.Binary;
using Cairn.Meta.Protocol;
using Cairn.Raft.Hosting;
using Cairn.Rpc;
using Google.Protobuf;

namespace Cairn.Cli.Node;

/// <summary>
/// Proposes commands to the control group from any node: locally when this node leads it, otherwise over RPC to the
/// leader (the host does not forward proposals: a follower answers "not leader, try X").
/// </summary>
internal sealed class ControlClient
{
    /// <summary>The RPC method a node serves control proposals on.</summary>
    public const string ProposeMethod = "cairn.control.propose";

    private const byte Ok = 0;
    private const byte NotLeader = 1;
    private const byte Failed = 2;

    private readonly RaftHost _host;
    private readonly RpcRaftTransport _transport;

    public ControlClient(RaftHost host, RpcRaftTransport transport)
    {
        _host = host;
        _transport = transport;
    }

    /// <summary>Serves other nodes' proposals on <paramref name="router"/>.</summary>
    public void Map(RpcRouter router) => router.MapCall(ProposeMethod, async (request, cancellationToken) =>
    {
        try
        {
            var result = await _host.ProposeAsync(InitialLayout.ControlGroupId, request.Payload, cancellationToken);
            return new RpcReply(Payload: Prefixed(Ok, result ?? []));
        }
        catch (NotLeaderException e)
        {
            var leader = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(leader, e.LeaderId);
            return new RpcReply(Payload: Prefixed(NotLeader, leader));
        }
        catch (Exception e) when (e is ProposalDroppedException or ProposalOutcomeUnknownException or ArgumentException or FormatException or InvalidOperationException)
        {
            return new RpcReply(Payload: Prefixed(Failed, System.Text.Encoding.UTF8.GetBytes(e.Message)));
        }
    });

    /// <summary>Proposes <paramref name="command"/> and returns the control group's reply.</summary>
    /// <exception cref="InvalidOperationException">No leader could be reached, or the proposal failed.</exception>
    public async Task<MetaReply> ProposeAsync(MetaCommand command, CancellationToken cancellationToken)
    {
        var bytes = command.ToByteArray();
        try
        {
            var result = await _host.ProposeAsync(InitialLayout.ControlGroupId, bytes, cancellationToken);
            return MetaReply.Parser.ParseFrom(result ?? []);
        }
        catch (NotLeaderException e) when (e.LeaderId != 0 && _transport.ChannelTo(e.LeaderId) is { } channel)
        {
            var response = await channel.CallAsync(ProposeMethod, payload: bytes, timeout: TimeSpan.FromSeconds(5), cancellationToken: cancellationToken);
            var payload = response.Payload.Span;
            return payload.IsEmpty
                ? throw new InvalidOperationException("The control group's leader sent an empty reply.")
                : payload[0] switch
                {
                    Ok => MetaReply.Parser.ParseFrom(payload[1..]),
                    NotLeader => throw new InvalidOperationException($"Node {e.LeaderId} no longer leads the control group."),
                    _ => throw new InvalidOperationException(System.Text.Encoding.UTF8.GetString(payload[1..])),
                };
        }
        catch (NotLeaderException)
        {
            throw new InvalidOperationException("The control group has no leader right now.");
        }
    }

    private static byte[] Prefixed(byte code, ReadOnlySpan<byte> body)
    {
        var bytes = new byte[body.Length + 1];
        bytes[0] = code;
        body.CopyTo(bytes.AsSpan(1));
        return bytes;
    }
}

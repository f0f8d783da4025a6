using Cairn.Kv.Replication;
using Cairn.Meta;
using Cairn.Meta.Protocol;
using Cairn.Raft.Hosting;
using Cairn.Rpc;
using Google.Protobuf;

namespace Cairn.Cli.Node;

/// <summary>
/// Copies slots from one shard group to another for the migration coordinator (ADR 0026): asks the source group's
/// leader to fence the slots and stream their keys, in batches, into the target group's leader, which writes them
/// through its own log. Either leader may be this node or another one, reached over the node RPC mesh.
/// </summary>
internal sealed class SlotMover
{
    /// <summary>The RPC method a source group's leader serves hand-overs on.</summary>
    public const string HandOverMethod = "cairn.slots.handover";

    /// <summary>The RPC method a target group's leader serves imports on.</summary>
    public const string ImportMethod = "cairn.slots.import";

    /// <summary>How much one import call carries (below the RPC message limit, and a modest Raft entry).</summary>
    private const int ImportBatchBytes = 1 << 20;

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly ulong _self;
    private readonly ReplicatedKvBackend _backend;
    private readonly RpcRaftTransport _transport;
    private readonly Func<ClusterState> _state;

    public SlotMover(ulong self, ReplicatedKvBackend backend, RpcRaftTransport transport, Func<ClusterState> state)
    {
        _self = self;
        _backend = backend;
        _transport = transport;
        _state = state;
    }

    /// <summary>Serves other nodes' hand-over and import calls on <paramref name="router"/>.</summary>
    public void Map(RpcRouter router)
    {
        router.MapCall(HandOverMethod, async (request, cancellationToken) =>
        {
            var command = request.ParseBody(HandOverSlots.Parser);
            var (keys, bytes) = await Guard(() => HandOverHereAsync(command.SourceGroup, command.TargetGroup, Slots(command.Slots), cancellationToken));
            return new RpcReply(new HandOverResult { Keys = keys, Bytes = bytes });
        });
        router.MapCall(ImportMethod, async (request, cancellationToken) =>
        {
            var command = request.ParseBody(ImportSlotKeys.Parser);
            if (command.Keys.Count != command.Values.Count)
            {
                throw new RpcException(RpcStatus.InvalidArgument, $"an import carries {command.Keys.Count} keys but {command.Values.Count} values");
            }

            var entries = command.Keys.Zip(command.Values, (k, v) => (k.ToByteArray(), v.ToByteArray())).ToList();
            await Guard(async () =>
            {
                await _backend.ImportAsync(command.Group, Slots(command.Slots), command.Reset, entries, cancellationToken);
                return true;
            });
            return RpcReply.Empty;
        });
    }

    /// <summary>Has <paramref name="slots"/> (fenced in the control group at the epochs given) copied from <paramref name="source"/> to <paramref name="target"/>.</summary>
    /// <exception cref="InvalidOperationException">A leader is unknown or refused, or the copy failed: try again later.</exception>
    public async Task<(ulong Keys, ulong Bytes)> HandOverAsync(ulong source, ulong target, IReadOnlyList<(int Slot, ulong Epoch)> slots, CancellationToken cancellationToken)
    {
        var leader = LeaderOf(source);
        if (leader == _self)
        {
            return await HandOverHereAsync(source, target, slots, cancellationToken);
        }

        var command = new HandOverSlots { SourceGroup = source, TargetGroup = target };
        command.Slots.AddRange(slots.Select(s => new SlotAtEpoch { Slot = (uint)s.Slot, Epoch = s.Epoch }));
        var response = await Call(leader, source).CallAsync(HandOverMethod, command, timeout: CallTimeout * 4, cancellationToken: cancellationToken);
        var result = response.ParseBody(HandOverResult.Parser);
        return (result.Keys, result.Bytes);
    }

    /// <summary>The source's side: fence here, then stream the keys to the target's leader.</summary>
    private async Task<(ulong Keys, ulong Bytes)> HandOverHereAsync(ulong source, ulong target, IReadOnlyList<(int Slot, ulong Epoch)> slots, CancellationToken cancellationToken)
    {
        await _backend.FenceAsync(source, slots, cancellationToken);
        byte[]? after = null;
        var reset = true;
        ulong keys = 0, bytes = 0;
        do
        {
            var (entries, next) = _backend.Export(source, slots, after, ImportBatchBytes);
            await ImportAsync(target, slots, reset, entries, cancellationToken);
            reset = false;
            after = next;
            keys += (ulong)entries.Count;
            bytes += (ulong)entries.Sum(e => e.Key.Length + e.Stored.Length);
        }
        while (after is not null);

        return (keys, bytes);
    }

    private async Task ImportAsync(ulong target, IReadOnlyList<(int Slot, ulong Epoch)> slots, bool reset, List<(byte[] Key, byte[] Stored)> entries, CancellationToken cancellationToken)
    {
        var leader = LeaderOf(target);
        if (leader == _self)
        {
            await _backend.ImportAsync(target, slots, reset, entries, cancellationToken);
            return;
        }

        var command = new ImportSlotKeys { Group = target, Reset = reset };
        command.Slots.AddRange(slots.Select(s => new SlotAtEpoch { Slot = (uint)s.Slot, Epoch = s.Epoch }));
        foreach (var (key, stored) in entries)
        {
            command.Keys.Add(ByteString.CopyFrom(key));
            command.Values.Add(ByteString.CopyFrom(stored));
        }

        await Call(leader, target).CallAsync(ImportMethod, command, timeout: CallTimeout, cancellationToken: cancellationToken);
    }

    /// <summary>Who leads <paramref name="groupId"/>: this node's own Raft view when it holds a replica, else the control group's hint.</summary>
    private ulong LeaderOf(ulong groupId)
    {
        if (_backend.Serves(groupId))
        {
            return _self;
        }

        var leader = _backend.Hosts(groupId) ? _backend.LeaderOf(groupId) : 0;
        if (leader == 0)
        {
            leader = _state().GroupOrNull(groupId)?.LeaderHint ?? 0;
        }

        return leader != 0 ? leader : throw new InvalidOperationException($"Shard group {groupId} has no known leader.");
    }

    private IRpcChannel Call(ulong node, ulong groupId) =>
        _transport.ChannelTo(node) ?? throw new InvalidOperationException($"No connection to node {node}, which leads shard group {groupId}.");

    private static List<(int Slot, ulong Epoch)> Slots(IEnumerable<SlotAtEpoch> slots) => [.. slots.Select(s => ((int)s.Slot, s.Epoch))];

    /// <summary>Turns the expected failures of a hand-over into an RPC error the caller reads as "try again".</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (e is InvalidOperationException or ReplicationFailedException or ArgumentException or FormatException or Cairn.Core.LimitExceededException)
        {
            throw new RpcException(RpcStatus.Aborted, e.Message, e);
        }
    }
}

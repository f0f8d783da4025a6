using Cairn.Simulation.Kv;
using Cairn.Simulation.World;

namespace Cairn.Simulation.Clients;

/// <summary>
/// A client with one operation at a time. It sends to the leader it was last told of, follows "not leader" hints,
/// and on a timeout retries the same operation (same client op id, so the state machine applies it at most once)
/// at another node. After <see cref="SimulationOptions.ClientGiveUp"/> it records the operation as indeterminate
/// (never returned) and moves on.
/// </summary>
public sealed class SimClient
{
    private readonly SimulatedWorld _world;
    private readonly Dictionary<int, long> _lastSeen = [];
    private int _seq;
    private int _attempt;
    private ulong _target;

    internal SimClient(SimulatedWorld world, int id)
    {
        _world = world;
        Id = id;
        _target = world.NodeIds[world.Random.Next(world.NodeIds.Count)];
    }

    public int Id { get; }

    public Operation? Current { get; private set; }

    /// <summary>Whether the client starts new operations (it always finishes or abandons the current one).</summary>
    public bool Active { get; set; }

    public bool Idle => Current is null;

    internal void ScheduleNext()
    {
        if (!Active)
        {
            return;
        }

        var think = 1 + _world.Random.NextInt64(_world.Options.MaxThinkTime);
        _world.Schedule(think, "client-next", (ulong)Id, 0, 0, null, InvokeRandom);
    }

    private void InvokeRandom()
    {
        if (!Active || Current is not null)
        {
            return;
        }

        var random = _world.Random;
        var key = 1 + random.Next(_world.Options.Keys);
        var roll = random.Next(10);
        var seq = _seq + 1;
        var value = ((long)Id * 1_000_000) + seq; // unique, so a lost or duplicated write is visible to reads
        var kind = roll < 4 ? KvOpKind.Get : roll < 7 ? KvOpKind.Put : KvOpKind.Cas;
        var expected = random.Next(3) == 0 ? 0 : _lastSeen.GetValueOrDefault(key);
        Invoke(new KvCommand(Id, seq, kind, key, kind == KvOpKind.Get ? 0 : value, kind == KvOpKind.Cas ? expected : 0));
    }

    /// <summary>Starts an operation now (scenario tests call this directly; <paramref name="command"/>'s seq must be the next one).</summary>
    public Operation Invoke(KvCommand command)
    {
        if (Current is not null)
        {
            throw new InvalidOperationException($"Client {Id} already has {Current.Command} in flight.");
        }

        _seq = command.Seq;
        Current = _world.History.Invoke(command, _world.Now);
        _world.Trace.Record(_world.Now, "invoke", (ulong)Id, 0, (ulong)command.OpId, command);
        _attempt = 0;
        Send();
        return Current;
    }

    public KvCommand NextCommand(KvOpKind kind, int key, long value = 0, long expected = 0) =>
        new(Id, _seq + 1, kind, key, value, expected);

    private void Send()
    {
        var operation = Current!;
        var attempt = ++_attempt;
        _world.SendToNode((ulong)Id, _target, new ClientRequest(Id, operation.Command));
        _world.Schedule(_world.Options.ClientTimeout, "client-timeout", (ulong)Id, 0, (ulong)attempt, null, () => OnTimeout(operation, attempt));
    }

    internal void OnReply(ulong from, ClientReply reply)
    {
        var operation = Current;
        if (operation is null || reply.Seq != operation.Command.Seq)
        {
            return; // an answer to an operation already finished or abandoned (or a duplicate)
        }

        if (reply.NotLeader)
        {
            var attempt = _attempt;
            _target = reply.LeaderHint != 0 && reply.LeaderHint != from ? reply.LeaderHint : OtherNode(from);

            // Back off briefly: with no leader known, an election is probably running.
            var delay = reply.LeaderHint == 0 ? 5_000 + _world.Random.NextInt64(10_000) : 100;
            _world.Schedule(delay, "client-redirect", (ulong)Id, _target, (ulong)attempt, null, () =>
            {
                if (Current == operation && _attempt == attempt)
                {
                    Send();
                }
            });
            return;
        }

        _target = from;
        operation.Complete(_world.Now, reply.Result);
        if (operation.Command.Kind == KvOpKind.Get || reply.Result.Ok)
        {
            _lastSeen[operation.Key] = reply.Result.Value;
        }

        _world.Trace.Record(_world.Now, "return", (ulong)Id, from, (ulong)reply.Result.Value, operation);
        Current = null;
        ScheduleNext();
    }

    private void OnTimeout(Operation operation, int attempt)
    {
        if (Current != operation || _attempt != attempt)
        {
            return;
        }

        if (_world.Now - operation.Call >= _world.Options.ClientGiveUp)
        {
            // Indeterminate: it may yet take effect. The history keeps it with no return; the checker allows both.
            _world.Trace.Record(_world.Now, "give-up", (ulong)Id, 0, (ulong)operation.Command.OpId, operation);
            Current = null;
            ScheduleNext();
            return;
        }

        _target = OtherNode(_target);
        Send();
    }

    private ulong OtherNode(ulong not)
    {
        var ids = _world.NodeIds;
        var pick = ids[_world.Random.Next(ids.Count)];
        // Node ids are 1..N, so the node after id k sits at index k mod N.
        return pick == not && ids.Count > 1 ? ids[(int)(pick % (ulong)ids.Count)] : pick;
    }
}

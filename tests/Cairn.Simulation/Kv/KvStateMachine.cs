using Cairn.Raft;

namespace Cairn.Simulation.Kv;

/// <summary>
/// The replicated KV state machine: a register per key plus, per client, the last operation applied and its result,
/// so a request that reached the log twice (a client retried it) takes effect once and answers the same both times.
/// It lives in memory and is rebuilt from the log on restart (there are no snapshots yet).
/// </summary>
public sealed class KvStateMachine : IRaftStateMachine
{
    private readonly Dictionary<int, long> _values = [];
    private readonly Dictionary<int, (int Seq, KvResult Result)> _lastByClient = [];

    /// <summary>Sabotage for checker tests: apply retried operations again.</summary>
    internal bool SkipDeduplication { get; init; }

    /// <summary>Sabotage for checker tests: add this to every value written.</summary>
    internal long ValueSkew { get; init; }

    /// <summary>Whether the last <see cref="Apply"/> executed an operation (false for no-ops and duplicates).</summary>
    public bool LastApplyTookEffect { get; private set; }

    /// <summary>The index of the last applied entry.</summary>
    public ulong AppliedIndex { get; private set; }

    /// <summary>
    /// An order-independent hash of the whole state (values and de-duplication table), kept up to date on every apply
    /// so two replicas can be compared at every index without walking their state.
    /// </summary>
    public ulong StateHash { get; private set; }

    public long ValueOf(int key) => _values.GetValueOrDefault(key);

    /// <summary>The highest operation number applied for <paramref name="client"/>, or 0.</summary>
    public int LastSeqOf(int client) => _lastByClient.TryGetValue(client, out var last) ? last.Seq : 0;

    /// <summary>The result of an operation that was already applied, if it is the client's latest.</summary>
    public bool TryGetApplied(KvCommand command, out KvResult result)
    {
        if (_lastByClient.TryGetValue(command.Client, out var last) && last.Seq == command.Seq)
        {
            result = last.Result;
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>Applies the entry at <paramref name="index"/>; returns the command and its result, or null for a no-op.</summary>
    public (KvCommand Command, KvResult Result)? Apply(ulong index, ReadOnlySpan<byte> data)
    {
        if (index != AppliedIndex + 1)
        {
            throw new InvalidOperationException($"Applying index {index} after {AppliedIndex}: entries must be applied in order, once.");
        }

        AppliedIndex = index;
        LastApplyTookEffect = false;
        if (data.IsEmpty)
        {
            return null; // a new leader's no-op
        }

        var command = KvCommand.Decode(data);
        if (_lastByClient.TryGetValue(command.Client, out var last) && command.Seq <= last.Seq && !SkipDeduplication)
        {
            // A duplicate of an applied operation (or an older one the client gave up on): no effect.
            return (command, command.Seq == last.Seq ? last.Result : new KvResult(false, -1));
        }

        var current = _values.GetValueOrDefault(command.Key);
        KvResult result;
        switch (command.Kind)
        {
            case KvOpKind.Get:
                result = new KvResult(true, current);
                break;
            case KvOpKind.Put:
                SetValue(command.Key, current, command.Value + ValueSkew);
                result = new KvResult(true, command.Value);
                break;
            case KvOpKind.Cas when current == command.Expected:
                SetValue(command.Key, current, command.Value);
                result = new KvResult(true, command.Value);
                break;
            case KvOpKind.Cas:
                result = new KvResult(false, current);
                break;
            default:
                throw new InvalidDataException($"Unknown KV operation {command.Kind} at index {index}.");
        }

        if (_lastByClient.TryGetValue(command.Client, out var previous))
        {
            StateHash ^= ClientHash(command.Client, previous.Seq, previous.Result);
        }

        _lastByClient[command.Client] = (command.Seq, result);
        LastApplyTookEffect = true;
        StateHash ^= ClientHash(command.Client, command.Seq, result);
        return (command, result);
    }

    /// <summary>Writes the whole state (applied index, values, de-duplication table), in key order so replicas write the same bytes.</summary>
    public void CreateSnapshot(Stream destination)
    {
        using var writer = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(AppliedIndex);
        writer.Write(_values.Count);
        foreach (var (key, value) in _values.OrderBy(p => p.Key))
        {
            writer.Write(key);
            writer.Write(value);
        }

        writer.Write(_lastByClient.Count);
        foreach (var (client, last) in _lastByClient.OrderBy(p => p.Key))
        {
            writer.Write(client);
            writer.Write(last.Seq);
            writer.Write(last.Result.Ok);
            writer.Write(last.Result.Value);
        }
    }

    /// <summary>Replaces the whole state with a snapshot's; the state hash is recomputed from it.</summary>
    public void RestoreSnapshot(Stream source)
    {
        using var reader = new BinaryReader(source, System.Text.Encoding.UTF8, leaveOpen: true);
        _values.Clear();
        _lastByClient.Clear();
        StateHash = 0;
        AppliedIndex = reader.ReadUInt64();
        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            var key = reader.ReadInt32();
            SetValue(key, 0, reader.ReadInt64());
        }

        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            var client = reader.ReadInt32();
            var seq = reader.ReadInt32();
            var result = new KvResult(reader.ReadBoolean(), reader.ReadInt64());
            _lastByClient[client] = (seq, result);
            StateHash ^= ClientHash(client, seq, result);
        }

        LastApplyTookEffect = false;
    }

    void IRaftStateMachine.Apply(IReadOnlyList<Entry> entries) => throw new NotSupportedException("The simulator applies entries one by one.");

    private void SetValue(int key, long old, long value)
    {
        if (old != 0)
        {
            StateHash ^= StableHash.Combine((ulong)key, (ulong)old);
        }

        _values[key] = value;
        if (value != 0)
        {
            StateHash ^= StableHash.Combine((ulong)key, (ulong)value);
        }
    }

    private static ulong ClientHash(int client, int seq, KvResult result) =>
        StableHash.Combine(StableHash.Combine(0xC11E47UL, (ulong)client, (ulong)seq), result.Ok ? 1UL : 0UL, (ulong)result.Value);
}

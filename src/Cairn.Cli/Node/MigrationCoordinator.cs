using Cairn.Meta;
using Cairn.Meta.Protocol;

namespace Cairn.Cli.Node;

/// <summary>
/// Drives the slot migrations the control group records to their end (ADR 0026), on whichever node leads the
/// control group. It keeps nothing of its own: every round it reads the migrations from the control state and takes
/// each to its next step: a migrating slot is fenced (control group), a fenced one is handed over (the source group
/// closes the slot in its log and copies its keys into the target group's log) and then committed (control group).
/// A coordinator that dies at any point is replaced by the next control leader, which resumes from the state; every
/// step is idempotent and names the epoch it was decided at, so a step from a stale coordinator is refused.
/// </summary>
internal sealed class MigrationCoordinator
{
    /// <summary>After this many failed rounds in a row, a migration is aborted (the source keeps the slot).</summary>
    public const int MaxFailedRounds = 60;

    private readonly ControlClient _control;
    private readonly SlotMover _mover;
    private readonly Func<ClusterState> _state;
    private readonly Action<string> _log;
    private readonly Dictionary<int, int> _failedRounds = [];

    public MigrationCoordinator(ControlClient control, SlotMover mover, Func<ClusterState> state, Action<string> log)
    {
        _control = control;
        _mover = mover;
        _state = state;
        _log = log;
    }

    /// <summary>Takes every migration in progress one step or more; returns how many slots it committed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var state = _state();
        if (state.Migrations.Count == 0)
        {
            _failedRounds.Clear();
            return 0;
        }

        var pairs = state.Migrations.Values.GroupBy(m => (m.SourceGroup, m.TargetGroup)).ToList();
        var committed = await Task.WhenAll(pairs.Select(p => DriveAsync(p.Key.SourceGroup, p.Key.TargetGroup, [.. p.Select(m => m.Slot)], cancellationToken)));
        foreach (var slot in _failedRounds.Keys.Where(s => _state().MigrationOf(s) is null).ToList())
        {
            _failedRounds.Remove(slot);
        }

        return committed.Sum();
    }

    private async Task<int> DriveAsync(ulong source, ulong target, List<int> slots, CancellationToken cancellationToken)
    {
        var state = _state();
        if (state.GroupOrNull(source) is null || state.GroupOrNull(target) is null)
        {
            await AbortAsync(slots, "its source or target group is gone", cancellationToken);
            return 0;
        }

        // 1. Fence in the control group: from its epoch on, the source must stop serving the slot.
        await Task.WhenAll(slots
            .Select(s => state.MigrationOf(s))
            .Where(m => m is { Phase: MigrationPhase.Migrating })
            .Select(m => _control.ProposeAsync(MetaCommands.FenceMigration(m!.Slot, target, m.Epoch), cancellationToken)));

        state = _state();
        var fencing = slots
            .Select(s => state.MigrationOf(s))
            .Where(m => m is { Phase: MigrationPhase.Fencing } && m.SourceGroup == source && m.TargetGroup == target)
            .Select(m => (m!.Slot, m.Epoch))
            .ToList();
        if (fencing.Count == 0)
        {
            return 0;
        }

        // 2. Hand over: the source closes the slots in its log, then copies their keys into the target's log.
        (ulong Keys, ulong Bytes) copied;
        try
        {
            copied = await _mover.HandOverAsync(source, target, fencing, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or Cairn.Rpc.RpcException or TimeoutException or IOException or Cairn.Kv.Replication.ReplicationFailedException)
        {
            await FailedAsync([.. fencing.Select(f => f.Slot)], e.Message, cancellationToken);
            return 0;
        }

        // 3. Commit: the target owns the slots from a new epoch on; the groups settle their records by themselves.
        var replies = await Task.WhenAll(fencing.Select(f => _control.ProposeAsync(MetaCommands.CommitMigration(f.Slot, target, f.Epoch), cancellationToken)));
        var done = replies.Count(r => r.Status is MetaStatus.Ok or MetaStatus.AlreadyApplied);
        _log($"migration: {done} of {fencing.Count} slots moved from group {source} to group {target} ({copied.Keys} keys, {copied.Bytes} bytes)");
        foreach (var (slot, _) in fencing)
        {
            _failedRounds.Remove(slot);
        }

        return done;
    }

    private async Task FailedAsync(List<int> slots, string why, CancellationToken cancellationToken)
    {
        var giveUp = new List<int>();
        foreach (var slot in slots)
        {
            var rounds = _failedRounds[slot] = _failedRounds.GetValueOrDefault(slot) + 1;
            if (rounds >= MaxFailedRounds)
            {
                giveUp.Add(slot);
            }
        }

        if (giveUp.Count > 0)
        {
            await AbortAsync(giveUp, $"{MaxFailedRounds} hand-over attempts failed, the last with: {why}", cancellationToken);
        }
        else if (_failedRounds[slots[0]] % 10 == 1)
        {
            _log($"migration: handing over {slots.Count} slots failed (will retry): {why}");
        }
    }

    private async Task AbortAsync(List<int> slots, string why, CancellationToken cancellationToken)
    {
        var state = _state();
        foreach (var slot in slots)
        {
            if (state.MigrationOf(slot) is { } migration)
            {
                await _control.ProposeAsync(MetaCommands.AbortMigration(slot, migration.TargetGroup, migration.Epoch), cancellationToken);
                _failedRounds.Remove(slot);
            }
        }

        _log($"migration: aborted {slots.Count} slots ({why}); their source groups keep them");
    }
}

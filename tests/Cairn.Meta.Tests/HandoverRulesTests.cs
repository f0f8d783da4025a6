using Cairn.Core;
using Cairn.Meta.Tests.Support;
using static Cairn.Meta.Tests.Support.ControlHarness;

namespace Cairn.Meta.Tests;

/// <summary>How a shard group settles its slot hand-over records against the control state (ADR 0026).</summary>
public class HandoverRulesTests
{
    private const int Slot = 100;
    private const ulong Source = 1;
    private const ulong Target = 2;

    [Fact]
    public void A_fence_and_an_import_are_kept_while_their_migration_is_fencing_and_wait_for_a_copy_that_is_behind()
    {
        var h = Bootstrapped(groups: 3);
        var behind = h.State;
        var fenced = Fence(h);

        Assert.Equal(HandoverAction.Keep, Decide(h, Source, HandoverKind.Fenced, fenced));
        Assert.Equal(HandoverAction.Keep, Decide(h, Target, HandoverKind.Imported, fenced));
        Assert.Equal(HandoverAction.Wait, HandoverRules.Decide(behind, Source, Slot, HandoverKind.Fenced, fenced));
        Assert.Equal(HandoverAction.Wait, HandoverRules.Decide(behind, Target, Slot, HandoverKind.Imported, fenced));
        Assert.Equal(HandoverAction.Wait, HandoverRules.Decide(ClusterState.Empty, Source, Slot, HandoverKind.Fenced, fenced));
    }

    [Fact]
    public void After_a_commit_the_source_releases_and_the_target_adopts()
    {
        var h = Bootstrapped(groups: 3);
        var fenced = Fence(h);
        h.Ok(MetaCommands.CommitMigration(Slot, Target, fenced));

        Assert.Equal(HandoverAction.Release, Decide(h, Source, HandoverKind.Fenced, fenced));
        Assert.Equal(HandoverAction.Adopt, Decide(h, Target, HandoverKind.Imported, fenced));
    }

    [Fact]
    public void After_an_abort_the_source_lifts_its_fence_and_the_target_discards()
    {
        var h = Bootstrapped(groups: 3);
        var fenced = Fence(h);
        h.Ok(MetaCommands.AbortMigration(Slot, Target, fenced));

        Assert.Equal(HandoverAction.Lift, Decide(h, Source, HandoverKind.Fenced, fenced));
        Assert.Equal(HandoverAction.Discard, Decide(h, Target, HandoverKind.Imported, fenced));
    }

    [Fact]
    public void A_record_of_an_aborted_attempt_is_settled_even_while_a_new_attempt_runs()
    {
        var h = Bootstrapped(groups: 3);
        var first = Fence(h);
        h.Ok(MetaCommands.AbortMigration(Slot, Target, first));
        var second = Fence(h);

        // The old records are at an older epoch than the running migration: the source serves again until the new
        // fence is written (which replaces the record), and the target drops the old import (the new copy resets it).
        Assert.Equal(HandoverAction.Lift, Decide(h, Source, HandoverKind.Fenced, first));
        Assert.Equal(HandoverAction.Discard, Decide(h, Target, HandoverKind.Imported, first));
        Assert.Equal(HandoverAction.Keep, Decide(h, Source, HandoverKind.Fenced, second));
    }

    [Fact]
    public void A_third_group_with_a_stale_import_discards_it_and_only_the_named_side_keeps_a_record()
    {
        var h = Bootstrapped(groups: 3);
        var fenced = Fence(h);

        Assert.Equal(HandoverAction.Wait, Decide(h, 3, HandoverKind.Imported, fenced)); // at the fence's own epoch: not its migration
        Assert.Equal(HandoverAction.Wait, Decide(h, Target, HandoverKind.Fenced, fenced));
        h.Ok(MetaCommands.CommitMigration(Slot, Target, fenced));
        Assert.Equal(HandoverAction.Discard, Decide(h, 3, HandoverKind.Imported, fenced));
    }

    [Fact]
    public void A_slot_moved_away_and_back_is_adopted_by_the_group_that_owns_it_last()
    {
        var h = Bootstrapped(groups: 3);
        var there = Fence(h);
        h.Ok(MetaCommands.CommitMigration(Slot, Target, there));
        h.Ok(MetaCommands.BeginMigration(Slot, Target, Source, h.State.SlotEpoch(Slot)));
        var back = h.Ok(MetaCommands.FenceMigration(Slot, Source, h.State.SlotEpoch(Slot))).SlotEpoch;
        h.Ok(MetaCommands.CommitMigration(Slot, Source, back));

        Assert.Equal(HandoverAction.Adopt, Decide(h, Source, HandoverKind.Imported, back));
        Assert.Equal(HandoverAction.Release, Decide(h, Target, HandoverKind.Fenced, back));
        Assert.Equal(HandoverAction.Lift, Decide(h, Source, HandoverKind.Fenced, there)); // a stale first fence: the slot is the source's again
    }

    private static ulong Fence(ControlHarness h)
    {
        var begun = h.Ok(MetaCommands.BeginMigration(Slot, Source, Target, h.State.SlotEpoch(Slot)));
        return h.Ok(MetaCommands.FenceMigration(Slot, Target, begun.SlotEpoch)).SlotEpoch;
    }

    private static HandoverAction Decide(ControlHarness h, ulong group, HandoverKind kind, ulong epoch) =>
        HandoverRules.Decide(h.State, group, Slot, kind, epoch);
}

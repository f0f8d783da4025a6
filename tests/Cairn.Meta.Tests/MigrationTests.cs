using Cairn.Meta.Protocol;
using Cairn.Meta.Tests.Support;
using static Cairn.Meta.Tests.Support.ControlHarness;

namespace Cairn.Meta.Tests;

public class MigrationTests
{
    private const int Slot = 100;

    [Fact]
    public void Begin_fence_commit_moves_the_slot_and_bumps_the_epoch_at_every_step()
    {
        var h = Bootstrapped(groups: 2);
        Assert.Equal(1UL, h.State.OwnerOf(Slot));

        var begun = h.Ok(MetaCommands.BeginMigration(Slot, 1, 2, 1));
        Assert.Equal(2UL, begun.SlotEpoch);
        Assert.Equal(new SlotMigration(Slot, 1, 2, MigrationPhase.Migrating, 2), h.State.MigrationOf(Slot));
        Assert.Equal(1UL, h.State.OwnerOf(Slot));

        var fenced = h.Ok(MetaCommands.FenceMigration(Slot, 2, begun.SlotEpoch));
        Assert.Equal(3UL, fenced.SlotEpoch);
        Assert.Equal(MigrationPhase.Fencing, h.State.MigrationOf(Slot)!.Phase);
        Assert.Equal(1UL, h.State.OwnerOf(Slot));

        var committed = h.Ok(MetaCommands.CommitMigration(Slot, 2, fenced.SlotEpoch));
        Assert.Equal(4UL, committed.SlotEpoch);
        Assert.Equal(2UL, h.State.OwnerOf(Slot));
        Assert.Null(h.State.MigrationOf(Slot));
        Assert.Equal(4UL, h.State.Epoch);
        Assert.Equal(1UL, h.State.SlotEpoch(Slot + 1));
    }

    [Fact]
    public void Retried_migration_steps_are_already_applied()
    {
        var h = Bootstrapped(groups: 2);

        h.Ok(MetaCommands.BeginMigration(Slot, 1, 2, 1));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.BeginMigration(Slot, 1, 2, 1)).Status);
        h.Ok(MetaCommands.FenceMigration(Slot, 2, 2));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.FenceMigration(Slot, 2, 2)).Status);
        h.Ok(MetaCommands.CommitMigration(Slot, 2, 3));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.CommitMigration(Slot, 2, 3)).Status);
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.FenceMigration(Slot, 2, 2)).Status);
        h.Refused(MetaCommands.AbortMigration(Slot, 2, 3), MetaStatus.Conflict);
        Assert.Equal(4UL, h.State.Epoch);
    }

    [Fact]
    public void Abort_from_either_phase_leaves_the_source_owner_with_a_new_epoch()
    {
        var h = Bootstrapped(groups: 2);
        h.Ok(MetaCommands.BeginMigration(Slot, 1, 2, 1));
        h.Ok(MetaCommands.AbortMigration(Slot, 2, 2));
        Assert.Equal(1UL, h.State.OwnerOf(Slot));
        Assert.Equal(3UL, h.State.SlotEpoch(Slot));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.AbortMigration(Slot, 2, 2)).Status);

        h.Ok(MetaCommands.BeginMigration(Slot, 1, 2, 3));
        h.Ok(MetaCommands.FenceMigration(Slot, 2, 4));
        h.Ok(MetaCommands.AbortMigration(Slot, 2, 5));
        Assert.Equal(1UL, h.State.OwnerOf(Slot));
        Assert.Equal(6UL, h.State.SlotEpoch(Slot));
        Assert.Empty(h.State.Migrations);
    }

    [Fact]
    public void A_commit_from_an_aborted_attempt_is_refused_after_a_new_attempt_began()
    {
        var h = Bootstrapped(groups: 2);
        h.Ok(MetaCommands.BeginMigration(Slot, 1, 2, 1));
        h.Ok(MetaCommands.FenceMigration(Slot, 2, 2));
        h.Ok(MetaCommands.AbortMigration(Slot, 2, 3));
        h.Ok(MetaCommands.BeginMigration(Slot, 1, 2, 4));
        h.Ok(MetaCommands.FenceMigration(Slot, 2, 5));

        // The first coordinator wakes up and commits what it fenced at epoch 3: stale.
        h.Refused(MetaCommands.CommitMigration(Slot, 2, 3), MetaStatus.StaleEpoch);
        h.Refused(MetaCommands.AbortMigration(Slot, 2, 3), MetaStatus.StaleEpoch);
        h.Ok(MetaCommands.CommitMigration(Slot, 2, 6));
    }

    [Fact]
    public void Begin_refuses_wrong_owner_stale_epoch_and_bad_groups()
    {
        var h = Bootstrapped(groups: 3);

        h.Refused(MetaCommands.BeginMigration(Slot, 2, 3, 1), MetaStatus.Conflict);
        h.Refused(MetaCommands.BeginMigration(Slot, 1, 2, 7), MetaStatus.StaleEpoch);
        h.Refused(MetaCommands.BeginMigration(Slot, 1, 1, 1), MetaStatus.Invalid);
        h.Refused(MetaCommands.BeginMigration(Slot, 1, 9, 1), MetaStatus.NotFound);
        h.Refused(MetaCommands.BeginMigration(16384, 1, 2, 1), MetaStatus.Invalid);
        h.Ok(MetaCommands.BeginMigration(Slot, 1, 2, 1));
        h.Refused(MetaCommands.BeginMigration(Slot, 1, 3, 2), MetaStatus.Conflict);
    }

    [Fact]
    public void Fence_and_commit_refuse_out_of_order_steps()
    {
        var h = Bootstrapped(groups: 3);

        h.Refused(MetaCommands.FenceMigration(Slot, 2, 1), MetaStatus.NotFound);
        h.Refused(MetaCommands.CommitMigration(Slot, 2, 1), MetaStatus.NotFound);
        h.Ok(MetaCommands.BeginMigration(Slot, 1, 2, 1));
        h.Refused(MetaCommands.CommitMigration(Slot, 2, 2), MetaStatus.Conflict);
        h.Refused(MetaCommands.FenceMigration(Slot, 3, 2), MetaStatus.Conflict);
        h.Refused(MetaCommands.FenceMigration(Slot, 2, 1), MetaStatus.StaleEpoch);
        h.Refused(MetaCommands.FenceMigration(16384, 2, 1), MetaStatus.Invalid);
    }

    [Fact]
    public void Concurrent_migrations_are_limited()
    {
        var h = Bootstrapped(groups: 2, limits: new ControlLimits { MaxConcurrentMigrations = 2 });
        h.Ok(MetaCommands.BeginMigration(1, 1, 2, 1));
        h.Ok(MetaCommands.BeginMigration(2, 1, 2, 1));

        h.Refused(MetaCommands.BeginMigration(3, 1, 2, 1), MetaStatus.LimitExceeded);
    }

    [Fact]
    public void A_slot_never_has_two_owners_at_any_step()
    {
        // The slot table has one owner per slot by construction; what matters is that the owner changes exactly
        // once, at commit, with an epoch above every epoch the source served it under.
        var h = Bootstrapped(groups: 2);
        var seen = new List<(ulong Owner, ulong Epoch)> { (h.State.OwnerOf(Slot), h.State.SlotEpoch(Slot)) };
        h.Ok(MetaCommands.BeginMigration(Slot, 1, 2, 1));
        seen.Add((h.State.OwnerOf(Slot), h.State.SlotEpoch(Slot)));
        h.Ok(MetaCommands.FenceMigration(Slot, 2, 2));
        seen.Add((h.State.OwnerOf(Slot), h.State.SlotEpoch(Slot)));
        h.Ok(MetaCommands.CommitMigration(Slot, 2, 3));
        seen.Add((h.State.OwnerOf(Slot), h.State.SlotEpoch(Slot)));

        Assert.Equal([1UL, 1UL, 1UL, 2UL], seen.Select(s => s.Owner));
        Assert.Equal([1UL, 2UL, 3UL, 4UL], seen.Select(s => s.Epoch));
    }

    [Fact]
    public void An_unowned_slot_cannot_migrate_even_from_group_0()
    {
        var fresh = new ControlHarness();
        fresh.Ok(MetaCommands.Bootstrap("c", [ControlHarness.NodeSpec(1)], []));
        fresh.Ok(MetaCommands.CreateGroup(MetaCommands.Group(2, 1)));

        fresh.Refused(MetaCommands.BeginMigration(Slot, 0, 2, 0), MetaStatus.Conflict);
    }
}

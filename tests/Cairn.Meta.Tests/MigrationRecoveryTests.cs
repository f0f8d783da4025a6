using Cairn.Meta.Protocol;
using Cairn.Meta.Tests.Support;

namespace Cairn.Meta.Tests;

/// <summary>
/// A coordinator that crashes at any step can be replaced by one that knows nothing but the control state: it
/// reads the migration record and either finishes the migration or aborts it, and the old coordinator's late steps
/// do no harm.
/// </summary>
public class MigrationRecoveryTests
{
    private const int Slot = 42;

    /// <summary>What a fresh coordinator does with a migration it finds: the next step, at the recorded epoch.</summary>
    private static void Resume(ControlHarness h)
    {
        while (h.State.MigrationOf(Slot) is { } m)
        {
            if (m.Phase == MigrationPhase.Migrating)
            {
                h.Ok(MetaCommands.FenceMigration(Slot, m.TargetGroup, m.Epoch));
            }
            else
            {
                h.Ok(MetaCommands.CommitMigration(Slot, m.TargetGroup, m.Epoch));
            }
        }
    }

    private static ControlHarness CrashedAfter(int steps)
    {
        var h = ControlHarness.Bootstrapped(groups: 2);
        var taken = new List<MetaCommand>
        {
            MetaCommands.BeginMigration(Slot, 1, 2, 1),
            MetaCommands.FenceMigration(Slot, 2, 2),
        };
        foreach (var command in taken.Take(steps))
        {
            h.Ok(command);
        }

        // The control group itself restarts from a snapshot too.
        var restarted = new ControlHarness();
        restarted.Machine.RestoreSnapshot(new MemoryStream(h.Snapshot()));
        return restarted;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_new_coordinator_finishes_a_migration_from_the_state_alone(int stepsBeforeCrash)
    {
        var h = CrashedAfter(stepsBeforeCrash);

        Resume(h);

        Assert.Equal(2UL, h.State.OwnerOf(Slot));
        Assert.Empty(h.State.Migrations);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_new_coordinator_may_roll_back_instead_and_the_old_one_cannot_then_commit(int stepsBeforeCrash)
    {
        var h = CrashedAfter(stepsBeforeCrash);
        var m = h.State.MigrationOf(Slot)!;

        h.Ok(MetaCommands.AbortMigration(Slot, m.TargetGroup, m.Epoch));

        // The old coordinator wakes up and carries on where it was.
        var late = h.Run(stepsBeforeCrash == 1 ? MetaCommands.FenceMigration(Slot, 2, 2) : MetaCommands.CommitMigration(Slot, 2, 3));
        Assert.NotEqual(MetaStatus.Ok, late.Status);
        Assert.Equal(1UL, h.State.OwnerOf(Slot));
        Assert.Empty(h.State.Migrations);
    }

    [Fact]
    public void Two_coordinators_racing_on_one_slot_move_it_once()
    {
        var h = ControlHarness.Bootstrapped(groups: 3);

        var first = h.Run(MetaCommands.BeginMigration(Slot, 1, 2, 1));
        var second = h.Run(MetaCommands.BeginMigration(Slot, 1, 3, 1));

        Assert.Equal(MetaStatus.Ok, first.Status);
        Assert.Equal(MetaStatus.Conflict, second.Status);
        Resume(h);
        Assert.Equal(2UL, h.State.OwnerOf(Slot));
    }
}

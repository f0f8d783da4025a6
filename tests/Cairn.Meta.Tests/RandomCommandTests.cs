using Cairn.Meta.Protocol;
using Cairn.Meta.Tests.Support;

namespace Cairn.Meta.Tests;

public class RandomCommandTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_command_sequences_keep_every_invariant_and_refusals_change_nothing(int seed)
    {
        var h = new ControlHarness();
        var commands = new RandomCommands(seed);
        var statuses = new Dictionary<MetaStatus, int>();

        for (var step = 0; step < 1500; step++)
        {
            var before = ControlHarness.Describe(h.State);
            var command = commands.Next(h.State);

            // The harness's machine checks the invariants and epoch monotonicity after every apply.
            var reply = h.RunRaw(command);

            statuses[reply.Status] = statuses.GetValueOrDefault(reply.Status) + 1;
            if (reply.Status != MetaStatus.Ok)
            {
                Assert.False(string.IsNullOrEmpty(reply.Error), $"seed {seed} step {step}: a refusal without a reason");
                Assert.True(before == ControlHarness.Describe(h.State), $"seed {seed} step {step}: {reply.Status} changed the state");
            }

            Assert.Equal(h.State.Epoch, reply.ClusterEpoch);
            Assert.Equal(h.Index, h.State.Version);
        }

        // The generator must actually exercise the machine, not just bounce off it.
        Assert.True(statuses.GetValueOrDefault(MetaStatus.Ok) > 150, $"seed {seed}: only {statuses.GetValueOrDefault(MetaStatus.Ok)} commands succeeded: {string.Join(", ", statuses)}");
        Assert.True(h.State.Epoch > 5, $"seed {seed}: the epoch only reached {h.State.Epoch}");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Two_machines_fed_the_same_commands_have_byte_identical_snapshots(int seed)
    {
        var a = new ControlHarness();
        var b = new ControlHarness();
        var commands = new RandomCommands(seed);

        for (var step = 0; step < 800; step++)
        {
            var command = commands.Next(a.State);
            var replyA = a.RunRaw(command);
            var replyB = b.RunRaw(command);
            Assert.Equal(replyA, replyB);
            if (step % 100 == 99)
            {
                Assert.Equal(a.Snapshot(), b.Snapshot());
            }
        }

        Assert.Equal(a.Snapshot(), b.Snapshot());
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void A_machine_restored_mid_run_ends_where_the_original_does(int seed)
    {
        var original = new ControlHarness();
        var commands = new RandomCommands(seed);
        var log = new List<byte[]>();
        for (var step = 0; step < 600; step++)
        {
            var command = commands.Next(original.State);
            log.Add(command);
            original.RunRaw(command);
        }

        var replica = new ControlHarness();
        for (var i = 0; i < 300; i++)
        {
            replica.RunRaw(log[i]);
        }

        var restored = new ControlStateMachine(checkInvariants: true);
        restored.RestoreSnapshot(new MemoryStream(replica.Snapshot()));
        for (var i = 300; i < log.Count; i++)
        {
            restored.Apply((ulong)i + 1, log[i]);
        }

        using var snapshot = new MemoryStream();
        restored.WriteSnapshot(snapshot);
        Assert.Equal(original.Snapshot(), snapshot.ToArray());
    }
}

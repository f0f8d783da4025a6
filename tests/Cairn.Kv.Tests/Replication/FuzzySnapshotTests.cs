using System.Text;
using Cairn.Kv.Replication;
using Cairn.Storage;
using Cairn.Storage.Memory;

namespace Cairn.Kv.Tests.Replication;

/// <summary>
/// The claim shard snapshots rest on (ADR 0020): a snapshot read from the live engine while later commands applied
/// holds, for each key, its value at the snapshot's index or at some later one; installing it and replaying the
/// log after the index ends in exactly the state of a replica that applied every command in order. Each seed
/// builds such a "fuzzy" snapshot with every key read at its own random moment, and checks the claim.
/// </summary>
public sealed class FuzzySnapshotTests
{
    [Fact]
    public void Installing_a_fuzzy_snapshot_and_replaying_the_log_after_its_index_converges()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            Check(seed);
        }
    }

    private static void Check(int seed)
    {
        var random = new Random(seed);
        var commands = new List<byte[]>();
        var states = new List<Dictionary<string, string>> { new() }; // states[i]: after command i
        var count = random.Next(5, 80);
        for (var i = 1; i <= count; i++)
        {
            var state = new Dictionary<string, string>(states[^1]);
            var batch = new WriteBatch();
            var operations = random.Next(1, 4);
            for (var o = 0; o < operations; o++)
            {
                var key = "k" + random.Next(8);
                if (random.Next(3) == 0)
                {
                    batch.Delete(Encoding.UTF8.GetBytes(key));
                    state.Remove(key);
                }
                else
                {
                    var value = $"v{i}.{o}";
                    batch.Put(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
                    state[key] = value;
                }
            }

            commands.Add(ShardCommand.Batch(batch));
            states.Add(state);
        }

        // The full replica.
        using var full = new ShardStateMachine(1, new MemoryEngine());
        for (var i = 0; i < count; i++)
        {
            full.Apply((ulong)i + 1, commands[i]);
        }

        // The snapshot at index s, each key read at its own moment in [s, s + lag].
        var s = random.Next(0, count + 1);
        var lag = random.Next(0, count - s + 1);
        var fuzzy = new MemoryEngine();
        foreach (var key in states.Skip(s).Take(lag + 1).SelectMany(st => st.Keys).Distinct())
        {
            var moment = states[s + random.Next(0, lag + 1)];
            if (moment.TryGetValue(key, out var value))
            {
                fuzzy.Put(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
            }
        }

        using var snapshot = new MemoryStream();
        using (var writer = new ShardStateMachine(1, fuzzy))
        {
            writer.WriteSnapshot(snapshot);
        }

        using var installed = new ShardStateMachine(1, new MemoryEngine());
        installed.Apply(1, ShardCommand.Put("leftover"u8, "x"u8)); // whatever it held before goes
        snapshot.Position = 0;
        installed.RestoreSnapshot(snapshot);
        for (var i = s; i < count; i++)
        {
            installed.Apply((ulong)i + 1, commands[i]);
        }

        Assert.True(
            Dump(full.Engine) == Dump(installed.Engine),
            $"seed {seed}: snapshot at {s} read over {lag} later commands did not converge\nfull:      {Dump(full.Engine)}\ninstalled: {Dump(installed.Engine)}");
    }

    private static string Dump(IKvEngine engine) =>
        string.Join(",", engine.ScanAll(KeyRange.All, keysOnly: false, pageSize: 100).Select(e => $"{Encoding.UTF8.GetString(e.Key)}={Encoding.UTF8.GetString(e.Value!)}"));
}

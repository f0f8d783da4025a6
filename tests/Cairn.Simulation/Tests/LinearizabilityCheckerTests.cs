using Cairn.Simulation.Checking;
using Cairn.Simulation.Clients;
using Cairn.Simulation.Kv;

namespace Cairn.Simulation.Tests;

/// <summary>
/// The checker on hand-written histories (times in µs, one line per operation): it must accept what is
/// linearizable and, just as important, reject what is not.
/// </summary>
public class LinearizabilityCheckerTests
{
    private int _seq;

    [Fact]
    public void Sequential_writes_and_reads_are_linearizable()
    {
        Assert.True(Check(
            Put(1, key: 1, value: 10, call: 0, ret: 10),
            Get(2, key: 1, value: 10, call: 20, ret: 30),
            Put(1, key: 1, value: 11, call: 40, ret: 50),
            Get(2, key: 1, value: 11, call: 60, ret: 70)).IsLinearizable);
    }

    [Fact]
    public void A_read_of_a_never_written_key_sees_zero()
    {
        Assert.True(Check(Get(1, key: 5, value: 0, call: 0, ret: 10)).IsLinearizable);
        Assert.False(Check(Get(1, key: 5, value: 3, call: 0, ret: 10)).IsLinearizable);
    }

    [Fact]
    public void A_stale_read_after_a_completed_write_is_not_linearizable()
    {
        var result = Check(
            Put(1, key: 1, value: 10, call: 0, ret: 10),
            Put(1, key: 1, value: 11, call: 20, ret: 30),
            Get(2, key: 1, value: 10, call: 40, ret: 50));

        Assert.False(result.IsLinearizable);
        Assert.Contains("key 1", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Concurrent_operations_may_take_effect_in_either_order()
    {
        // The read overlaps both writes: it may see either value, or the value before them.
        foreach (var seen in new long[] { 0, 10, 11 })
        {
            Assert.True(Check(
                Put(1, key: 1, value: 10, call: 0, ret: 100),
                Put(2, key: 1, value: 11, call: 10, ret: 90),
                Get(3, key: 1, value: seen, call: 20, ret: 80)).IsLinearizable);
        }
    }

    [Fact]
    public void Reads_cannot_see_writes_go_back_in_time()
    {
        // Two sequential reads by one client, both concurrent with two writes: 11 then 10 would need
        // put 11 before put 10 and put 10 before put 11.
        var result = Check(
            Put(1, key: 1, value: 10, call: 0, ret: 15),
            Put(2, key: 1, value: 11, call: 0, ret: 15),
            Get(3, key: 1, value: 11, call: 20, ret: 30),
            Get(3, key: 1, value: 10, call: 40, ret: 50));

        Assert.False(result.IsLinearizable);
    }

    [Fact]
    public void A_failed_cas_must_have_seen_another_value()
    {
        Assert.False(Check(
            Put(1, key: 1, value: 10, call: 0, ret: 10),
            Cas(2, key: 1, expected: 10, value: 20, ok: false, call: 20, ret: 30)).IsLinearizable);
        Assert.True(Check(
            Put(1, key: 1, value: 10, call: 0, ret: 10),
            Cas(2, key: 1, expected: 10, value: 20, ok: true, call: 20, ret: 30),
            Get(1, key: 1, value: 20, call: 40, ret: 50)).IsLinearizable);
    }

    [Fact]
    public void Two_successful_cas_from_the_same_value_are_not_linearizable()
    {
        Assert.False(Check(
            Put(1, key: 1, value: 1, call: 0, ret: 10),
            Cas(2, key: 1, expected: 1, value: 2, ok: true, call: 20, ret: 40),
            Cas(3, key: 1, expected: 1, value: 3, ok: true, call: 20, ret: 40)).IsLinearizable);
    }

    [Fact]
    public void An_operation_that_never_returned_may_or_may_not_have_happened()
    {
        // The put never returned: a later read may see it ...
        Assert.True(Check(
            Put(1, key: 1, value: 10, call: 0, ret: null),
            Get(2, key: 1, value: 10, call: 50, ret: 60)).IsLinearizable);

        // ... or not ...
        Assert.True(Check(
            Put(1, key: 1, value: 10, call: 0, ret: null),
            Get(2, key: 1, value: 0, call: 50, ret: 60)).IsLinearizable);

        // ... but once seen it cannot be unseen.
        Assert.False(Check(
            Put(1, key: 1, value: 10, call: 0, ret: null),
            Get(2, key: 1, value: 10, call: 50, ret: 60),
            Get(2, key: 1, value: 0, call: 70, ret: 80)).IsLinearizable);
    }

    [Fact]
    public void A_lost_acknowledged_write_is_caught()
    {
        // The write returned, then a later read still sees the old value: the write was lost (e.g. in a crash).
        Assert.False(Check(
            Put(1, key: 1, value: 10, call: 0, ret: 10),
            Put(2, key: 1, value: 20, call: 20, ret: 30),
            Get(3, key: 1, value: 10, call: 100, ret: 110)).IsLinearizable);
    }

    [Fact]
    public void Keys_are_checked_independently()
    {
        var result = Check(
            Put(1, key: 1, value: 10, call: 0, ret: 10),
            Put(1, key: 2, value: 20, call: 20, ret: 30),
            Get(2, key: 1, value: 10, call: 40, ret: 50),
            Get(2, key: 2, value: 0, call: 60, ret: 70));

        Assert.False(result.IsLinearizable);
        Assert.Contains("key 2", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_concurrent_history_checks_quickly()
    {
        // 10,000 operations by 10 clients over 4 keys, generated from a sequential register so it is linearizable,
        // with every operation stretched to overlap its neighbours.
        var random = new Random(1);
        var values = new long[5];
        var history = new List<Operation>();
        for (var i = 0; i < 10_000; i++)
        {
            var key = 1 + random.Next(4);
            var at = i * 10L;
            var call = at - random.Next(25);
            var ret = at + random.Next(25);
            var client = 1 + (i % 10);
            if (random.Next(2) == 0)
            {
                history.Add(Get(client, key, values[key], call, ret));
            }
            else
            {
                values[key] = i + 1;
                history.Add(Put(client, key, i + 1, call, ret));
            }
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = LinearizabilityChecker.Check(history);
        Assert.True(result.IsLinearizable && !result.Inconclusive, result.Explanation);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");

        // Corrupt one read in the middle: now it must fail.
        var victim = history.FindIndex(4_000, o => o.Command.Kind == KvOpKind.Get);
        var bad = history[victim];
        history[victim] = Get(bad.Command.Client, bad.Key, bad.Output.Value + 1_000_000, bad.Call, bad.Return);
        Assert.False(LinearizabilityChecker.Check(history).IsLinearizable);
    }

    private static LinearizabilityResult Check(params Operation[] history) => LinearizabilityChecker.Check(history);

    private Operation Put(int client, int key, long value, long call, long? ret) =>
        Make(new KvCommand(client, ++_seq, KvOpKind.Put, key, value, 0), call, ret, new KvResult(true, value));

    private Operation Get(int client, int key, long value, long call, long? ret) =>
        Make(new KvCommand(client, ++_seq, KvOpKind.Get, key, 0, 0), call, ret, new KvResult(true, value));

    private Operation Cas(int client, int key, long expected, long value, bool ok, long call, long? ret) =>
        Make(new KvCommand(client, ++_seq, KvOpKind.Cas, key, value, expected), call, ret, new KvResult(ok, ok ? value : -1));

    private static Operation Make(KvCommand command, long call, long? ret, KvResult output)
    {
        var operation = new Operation(command, call);
        if (ret is { } at)
        {
            operation.Complete(at, output);
        }

        return operation;
    }
}

using System.Globalization;
using System.Text;
using Cairn.Simulation.Clients;
using Cairn.Simulation.Kv;

namespace Cairn.Simulation.Checking;

/// <summary>
/// Checks a KV history for linearizability with the Wing &amp; Gong search as Porcupine runs it: operations sit in a
/// list of call and return events ordered by time; the search linearizes a call whose effect the model accepts,
/// backtracks when it meets a return it cannot explain, and remembers every (linearized set, state) it has seen so no
/// configuration is explored twice (Lowe's memoization). Keys are independent registers, so the history is split by
/// key first (Porcupine's partitioning): the search is exponential in concurrency, not in history length.
/// An operation that never returned is given a return time of "the end of time": it may or may not have happened.
/// </summary>
public static class LinearizabilityChecker
{
    /// <summary>Checks every key's sub-history; stops at the first key that is not linearizable.</summary>
    /// <param name="history">The operations, in any order.</param>
    /// <param name="stepBudgetPerKey">How many search steps one key may take before the verdict is "inconclusive".</param>
    public static LinearizabilityResult Check(IReadOnlyList<Operation> history, long stepBudgetPerKey = 20_000_000)
    {
        ArgumentNullException.ThrowIfNull(history);
        var byKey = new SortedDictionary<int, List<Operation>>();
        foreach (var operation in history)
        {
            // A read that never returned has no effect and no output: nothing to check.
            if (operation.Command.Kind == KvOpKind.Get && operation.Return is null)
            {
                continue;
            }

            if (!byKey.TryGetValue(operation.Key, out var list))
            {
                byKey[operation.Key] = list = [];
            }

            list.Add(operation);
        }

        var inconclusive = new List<int>();
        foreach (var (key, operations) in byKey)
        {
            var result = CheckKey(key, operations, stepBudgetPerKey);
            if (!result.IsLinearizable)
            {
                return result;
            }

            if (result.Inconclusive)
            {
                inconclusive.Add(key);
            }
        }

        return inconclusive.Count == 0
            ? LinearizabilityResult.Linearizable
            : new LinearizabilityResult(true, true, $"inconclusive (step budget spent) for keys {string.Join(", ", inconclusive)}");
    }

    private static LinearizabilityResult CheckKey(int key, List<Operation> operations, long budget)
    {
        var count = operations.Count;
        var events = new List<Event>(count * 2);
        var calls = new Event[count];
        for (var id = 0; id < count; id++)
        {
            var call = new Event(id, isReturn: false, operations[id].Call);
            var ret = new Event(id, isReturn: true, operations[id].Return ?? long.MaxValue);
            call.Match = ret;
            calls[id] = call;
            events.Add(call);
            events.Add(ret);
        }

        // By time; at equal times calls come first, so operations that touch are treated as concurrent (permissive).
        events.Sort((a, b) =>
        {
            var order = a.Time.CompareTo(b.Time);
            if (order == 0)
            {
                order = a.IsReturn.CompareTo(b.IsReturn);
            }

            return order != 0 ? order : a.Id.CompareTo(b.Id);
        });
        var head = new Event(-1, isReturn: false, long.MinValue);
        var previous = head;
        foreach (var e in events)
        {
            previous.Next = e;
            e.Prev = previous;
            previous = e;
        }

        var linearized = new ulong[(count + 63) / 64];
        var cache = new Dictionary<ulong, List<(ulong[] Set, long State)>>();
        var stack = new Stack<(Event Call, long State)>();
        var state = 0L;
        var entry = head.Next;
        var best = 0;
        ulong[] bestSet = [];
        long steps = 0;
        while (head.Next is not null)
        {
            if (++steps > budget)
            {
                return new LinearizabilityResult(true, true, $"key {key}: step budget of {budget} spent");
            }

            if (entry is null)
            {
                throw new InvalidOperationException("The search ran off the end of the event list.");
            }

            if (!entry.IsReturn)
            {
                if (RegisterModel.Step(state, operations[entry.Id], out var next))
                {
                    var set = (ulong[])linearized.Clone();
                    set[entry.Id / 64] |= 1UL << (entry.Id % 64);
                    if (CacheAdd(cache, set, next))
                    {
                        stack.Push((entry, state));
                        state = next;
                        linearized = set;
                        Lift(entry);
                        if (stack.Count > best)
                        {
                            best = stack.Count;
                            bestSet = set;
                        }

                        entry = head.Next;
                        continue;
                    }
                }

                entry = entry.Next;
            }
            else
            {
                if (stack.Count == 0)
                {
                    return new LinearizabilityResult(false, false, Explain(key, operations, bestSet, best, calls));
                }

                var (call, saved) = stack.Pop();
                state = saved;
                linearized = (ulong[])linearized.Clone();
                linearized[call.Id / 64] &= ~(1UL << (call.Id % 64));
                Unlift(call);
                entry = call.Next;
            }
        }

        return LinearizabilityResult.Linearizable;
    }

    private static bool CacheAdd(Dictionary<ulong, List<(ulong[] Set, long State)>> cache, ulong[] set, long state)
    {
        var hash = StableHash.Mix((ulong)state);
        foreach (var word in set)
        {
            hash = StableHash.Combine(hash, word);
        }

        if (!cache.TryGetValue(hash, out var bucket))
        {
            cache[hash] = [(set, state)];
            return true;
        }

        foreach (var (other, otherState) in bucket)
        {
            if (otherState == state && other.AsSpan().SequenceEqual(set))
            {
                return false;
            }
        }

        bucket.Add((set, state));
        return true;
    }

    /// <summary>Takes a call and its return out of the list: the operation is placed.</summary>
    private static void Lift(Event call)
    {
        call.Prev!.Next = call.Next;
        call.Next!.Prev = call.Prev;
        var match = call.Match!;
        match.Prev!.Next = match.Next;
        if (match.Next is not null)
        {
            match.Next.Prev = match.Prev;
        }
    }

    private static void Unlift(Event call)
    {
        var match = call.Match!;
        match.Prev!.Next = match;
        if (match.Next is not null)
        {
            match.Next.Prev = match;
        }

        call.Prev!.Next = call;
        call.Next!.Prev = call;
    }

    private static string Explain(int key, List<Operation> operations, ulong[] bestSet, int best, Event[] calls)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"key {key} is not linearizable: at most {best} of its {operations.Count} operations could be ordered. ");
        text.AppendLine("Operations the longest attempt could not place (earliest first):");
        var unplaced = Enumerable.Range(0, calls.Length)
            .Where(id => bestSet.Length == 0 || (bestSet[id / 64] & (1UL << (id % 64))) == 0)
            .Select(id => operations[id])
            .OrderBy(o => o.Call)
            .Take(12);
        foreach (var operation in unplaced)
        {
            text.Append("  ").AppendLine(operation.ToString());
        }

        return text.ToString();
    }

    private sealed class Event(int id, bool isReturn, long time)
    {
        public int Id { get; } = id;

        public bool IsReturn { get; } = isReturn;

        public long Time { get; } = time;

        public Event? Match { get; set; }

        public Event? Prev { get; set; }

        public Event? Next { get; set; }
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Cairn.Client.Resp;

namespace Cairn.Cli.Admin;

/// <summary>
/// <c>cairn admin move-slots</c> and <c>rebalance</c>: ask a node (<c>CAIRN.ADMIN MOVESLOTS|REBALANCE|PLAN|SLOTS</c>)
/// to begin slot migrations, which the control group's coordinator then carries out, and follow them until done.
/// Each request begins as many migrations as the cluster's limit allows, so these repeat it while they wait.
/// </summary>
internal static partial class SlotOperation
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The slots <paramref name="count"/> of <paramref name="from"/>'s, as <c>a-b,c</c> (its highest ones: a group keeps a contiguous start).</summary>
    public static async Task<string> PickSlotsAsync(IReadOnlyList<string> seeds, string? password, ulong from, int count, CancellationToken cancellationToken)
    {
        var owned = await NodeOperation.AskAsync(seeds, password, Admin("SLOTS", from.ToString(CultureInfo.InvariantCulture)), cancellationToken);
        var slots = Node.SlotAdmin.ParseSlotsOrEmpty(owned);
        if (slots.Count < count)
        {
            throw new ArgumentException($"group {from} owns {slots.Count} slots; it cannot give {count}.");
        }

        return Node.SlotAdmin.Format(slots.Skip(slots.Count - count));
    }

    /// <summary>Moves <paramref name="slots"/> from one group to another, reporting progress, until all have moved.</summary>
    public static async Task MoveAsync(IReadOnlyList<string> seeds, string? password, ulong from, ulong to, string slots, TimeSpan timeout, bool wait, Action<string> progress, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = -1;
        while (true)
        {
            var reply = await RetryAsync(() => NodeOperation.AskAsync(seeds, password, Admin("MOVESLOTS", from.ToString(CultureInfo.InvariantCulture), to.ToString(CultureInfo.InvariantCulture), slots), cancellationToken), deadline, progress, cancellationToken);
            var moved = Field(reply, "moved");
            var total = Field(reply, "total");
            if (moved != last)
            {
                progress(string.Create(CultureInfo.InvariantCulture, $"moved {moved}/{total} slots from group {from} to group {to} ({Field(reply, "migrating")} migrating)"));
                last = moved;
            }

            if (moved == total || !wait)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{total - moved} slots have not moved after {timeout.TotalSeconds:F0} s; migrations begun go on (check `cairn admin groups`)");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>The scheduler's plan now, one step a line (empty when the cluster is balanced).</summary>
    public static async Task<IReadOnlyList<string>> PlanAsync(IReadOnlyList<string> seeds, string? password, CancellationToken cancellationToken)
    {
        var plan = await NodeOperation.AskAsync(seeds, password, Admin("PLAN"), cancellationToken);
        return plan.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Begins the plan's slot moves and waits until no slot move or replica change is left in it.</summary>
    public static async Task RebalanceAsync(IReadOnlyList<string> seeds, string? password, TimeSpan timeout, Action<string> progress, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var lastShown = string.Empty;
        while (true)
        {
            var began = await RetryAsync(() => NodeOperation.AskAsync(seeds, password, Admin("REBALANCE"), cancellationToken), deadline, progress, cancellationToken);
            var pending = (await RetryAsync(() => PlanAsync(seeds, password, cancellationToken), deadline, progress, cancellationToken)).Where(l => !l.StartsWith("TransferLeader", StringComparison.Ordinal)).ToList();
            var migrating = Field(began, "migrating") + Field(began, "began");
            var shown = string.Create(CultureInfo.InvariantCulture, $"{migrating} slots migrating, {pending.Count(l => l.StartsWith("move slot", StringComparison.Ordinal))} slot moves and {pending.Count(l => !l.StartsWith("move slot", StringComparison.Ordinal))} replica changes planned");
            if (shown != lastShown)
            {
                progress(shown);
                lastShown = shown;
            }

            if (pending.Count == 0 && migrating == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the cluster is not balanced after {timeout.TotalSeconds:F0} s; the moves begun go on (check `cairn admin rebalance --dry-run`)");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>
    /// Asks again, until <paramref name="deadline"/>, when the answer is lost: while slots move, a seed may be restarting
    /// or the control group electing a leader. A refusal (an error reply naming what is wrong) is not retried.
    /// </summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> ask, DateTime deadline, Action<string> progress, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await ask();
            }
            catch (IOException e) when (e is RespConnectionException || Transient(e.Message))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw;
                }

                progress($"(no answer: {e.Message}; asking again)");
                await Task.Delay(PollInterval, cancellationToken);
            }
        }

        // Lost connections and a control group between leaders are worth waiting for; a refusal (bad slots, unknown
        // group) is final.
        static bool Transient(string message) =>
            message.Contains("connect", StringComparison.OrdinalIgnoreCase)
            || message.Contains("leader", StringComparison.OrdinalIgnoreCase)
            || message.Contains("timed out", StringComparison.OrdinalIgnoreCase)
            || message.Contains("TRYAGAIN", StringComparison.Ordinal)
            || message.Contains("CLUSTERDOWN", StringComparison.Ordinal)
            || message.Contains("no seed answered", StringComparison.OrdinalIgnoreCase);
    }

    private static RespCommand Admin(params string[] args)
    {
        var command = new RespCommand("CAIRN.ADMIN");
        foreach (var arg in args)
        {
            command.Add(arg);
        }

        return command;
    }

    /// <summary>A <c>name=number</c> field of a node's reply.</summary>
    internal static int Field(string reply, string name)
    {
        foreach (Match match in FieldPattern().Matches(reply))
        {
            if (match.Groups[1].Value == name)
            {
                return int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        throw new IOException($"the node's reply '{reply}' has no {name}");
    }

    [GeneratedRegex(@"(\w+)=(\d+)")]
    private static partial Regex FieldPattern();
}

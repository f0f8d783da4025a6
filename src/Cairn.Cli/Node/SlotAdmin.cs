using System.Globalization;
using System.Text;
using Cairn.Core;
using Cairn.Meta;
using Cairn.Meta.Planning;
using Cairn.Meta.Protocol;

namespace Cairn.Cli.Node;

/// <summary>
/// The slot verbs of <c>CAIRN.ADMIN</c>, which <c>cairn admin move-slots</c> and <c>rebalance</c> call:
/// <c>SLOTS group</c> (the slots a group owns), <c>MOVESLOTS from to slots</c> (begin moving those slots; each call
/// begins as many as the migration limit allows, so a client repeats it until all have moved), <c>PLAN</c> (what
/// the scheduler would do now, slot moves included) and <c>REBALANCE</c> (begin the plan's slot moves).
/// </summary>
internal static class SlotAdmin
{
    /// <summary>The most slots one <c>MOVESLOTS</c> may name.</summary>
    public const int MaxSlotsPerRequest = HashSlot.Count;

    public static bool Handles(string verb) => verb is "SLOTS" or "MOVESLOTS" or "PLAN" or "REBALANCE";

    public static string Run(string verb, IReadOnlyList<string> args, ClusterState state, ControlClient control, int replication, CancellationToken cancellationToken)
    {
        return verb switch
        {
            "SLOTS" => Format(SlotsOf(state, GroupArg(args, 1, "CAIRN.ADMIN SLOTS <group>", exact: 2))),
            "MOVESLOTS" => MoveSlots(args, state, control, cancellationToken),
            "PLAN" => Plan(state, replication),
            _ => Rebalance(state, control, replication, cancellationToken),
        };
    }

    /// <summary>Parses <c>a-b,c,…</c> into slots, in order, each once.</summary>
    /// <exception cref="ArgumentException">The text is not such a list.</exception>
    public static IReadOnlyList<int> ParseSlots(string text)
    {
        var slots = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var (first, last) = dash < 0 ? (Slot(part), Slot(part)) : (Slot(part[..dash]), Slot(part[(dash + 1)..]));
            if (last < first)
            {
                throw new ArgumentException($"'{part}' is not a slot range: it ends before it starts.");
            }

            for (var slot = first; slot <= last; slot++)
            {
                slots.Add(slot);
            }
        }

        return slots.Count > 0 ? [.. slots] : throw new ArgumentException("Name at least one slot, as 'a-b,c,…'.");

        static int Slot(string text) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var slot) && slot < HashSlot.Count
                ? slot
                : throw new ArgumentException($"'{text}' is not a slot (0..{HashSlot.Count - 1}).");
    }

    /// <summary><see cref="ParseSlots"/>, but an empty text is no slots.</summary>
    public static IReadOnlyList<int> ParseSlotsOrEmpty(string text) => text.Trim().Length == 0 ? [] : ParseSlots(text);

    /// <summary>Slots as <c>a-b,c,…</c> (empty for none).</summary>
    public static string Format(IEnumerable<int> slots)
    {
        var text = new StringBuilder();
        int start = -1, end = -1;
        foreach (var slot in slots.Order())
        {
            if (slot == end + 1 && start >= 0)
            {
                end = slot;
                continue;
            }

            Append();
            start = end = slot;
        }

        Append();
        return text.ToString();

        void Append()
        {
            if (start < 0)
            {
                return;
            }

            text.Append(text.Length > 0 ? "," : "").Append(start.ToString(CultureInfo.InvariantCulture));
            if (end > start)
            {
                text.Append('-').Append(end.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    private static IEnumerable<int> SlotsOf(ClusterState state, ulong group)
    {
        if (state.GroupOrNull(group) is null)
        {
            throw new ArgumentException($"There is no shard group {group}.");
        }

        for (var slot = 0; slot < HashSlot.Count; slot++)
        {
            if (state.OwnerOf(slot) == group)
            {
                yield return slot;
            }
        }
    }

    /// <summary>Begins moving what it can of the named slots; replies <c>moved=… migrating=… began=… left=…</c>.</summary>
    private static string MoveSlots(IReadOnlyList<string> args, ClusterState state, ControlClient control, CancellationToken cancellationToken)
    {
        const string Usage = "CAIRN.ADMIN MOVESLOTS <from group> <to group> <slots a-b,c,…>";
        var from = GroupArg(args, 1, Usage, exact: 4);
        var to = GroupArg(args, 2, Usage, exact: 4);
        if (from == to)
        {
            throw new ArgumentException("The source and target groups are the same.");
        }

        if (state.GroupOrNull(from) is null || state.GroupOrNull(to) is null)
        {
            throw new ArgumentException($"There is no shard group {(state.GroupOrNull(from) is null ? from : to)}.");
        }

        var slots = ParseSlots(args[3]);
        var free = new ControlLimits().MaxConcurrentMigrations - state.Migrations.Count;
        int moved = 0, migrating = 0, began = 0;
        var begins = new List<Task<MetaReply>>();
        foreach (var slot in slots)
        {
            var owner = state.OwnerOf(slot);
            if (owner == to)
            {
                moved++;
            }
            else if (state.MigrationOf(slot) is not null)
            {
                migrating++;
            }
            else if (owner != from)
            {
                throw new ArgumentException($"Slot {slot} belongs to group {owner}, not {from}.");
            }
            else if (free > 0)
            {
                free--;
                begins.Add(control.ProposeAsync(MetaCommands.BeginMigration(slot, from, to, state.SlotEpoch(slot)), cancellationToken));
            }
        }

        foreach (var reply in Task.WhenAll(begins).GetAwaiter().GetResult())
        {
            began += reply.Status is MetaStatus.Ok or MetaStatus.AlreadyApplied ? 1 : 0;
        }

        var left = slots.Count - moved - migrating - began;
        return string.Create(CultureInfo.InvariantCulture, $"moved={moved} migrating={migrating + began} began={began} left={left} total={slots.Count}");
    }

    private static string Plan(ClusterState state, int replication)
    {
        var text = new StringBuilder();
        foreach (var step in Steps(state, replication))
        {
            text.Append(step.Kind switch
            {
                PlannedStepKind.MoveSlot => string.Create(CultureInfo.InvariantCulture, $"move slot {step.Slot} from group {step.GroupId} to group {step.TargetGroupId}"),
                _ => string.Create(CultureInfo.InvariantCulture, $"{step.Kind} node {step.NodeId} in group {step.GroupId}"),
            }).Append(" (").Append(step.Reason).Append(")\n");
        }

        return text.ToString();
    }

    private static string Rebalance(ClusterState state, ControlClient control, int replication, CancellationToken cancellationToken)
    {
        var moves = Steps(state, replication).Where(s => s.Kind == PlannedStepKind.MoveSlot && s.ToCommand() is not null).ToList();
        var replies = Task.WhenAll(moves.Select(m => control.ProposeAsync(m.ToCommand()!, cancellationToken))).GetAwaiter().GetResult();
        return string.Create(CultureInfo.InvariantCulture, $"began={replies.Count(r => r.Status == MetaStatus.Ok)} migrating={state.Migrations.Count}");
    }

    /// <summary>The scheduler's plan, slot moves included, as of now (node loads are not known here: by count and bytes reported).</summary>
    private static IReadOnlyList<PlannedStep> Steps(ClusterState state, int replication) =>
        Rebalancer.Plan(state, new Dictionary<ulong, NodeLoad>(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), new RebalancerOptions { ReplicationFactor = replication, MaxSlotMoves = 64 });

    private static ulong GroupArg(IReadOnlyList<string> args, int index, string usage, int exact)
    {
        if (args.Count != exact)
        {
            throw new ArgumentException($"usage: {usage}");
        }

        return ulong.TryParse(args[index], NumberStyles.None, CultureInfo.InvariantCulture, out var group) && group != 0
            ? group
            : throw new ArgumentException($"'{args[index]}' is not a shard group id; usage: {usage}");
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cairn.Cli.Admin;
using Cairn.Cli.Config;
using Cairn.Cli.Output;
using Spectre.Console;

namespace Cairn.Cli.Commands;

/// <summary>
/// <c>cairn admin status|nodes|groups|slots</c>: inspect a running cluster, read only, through the Redis Cluster
/// commands of its nodes (<c>CLUSTER INFO|SHARDS|NODES</c> from a seed, <c>INFO keyspace</c> from every node); and
/// change it: drain, undrain and remove nodes, move slots, rebalance (through <c>CAIRN.ADMIN</c>).
/// </summary>
public static class AdminCommands
{
    /// <summary>Creates the <c>admin</c> command group.</summary>
    public static Command Create()
    {
        var seed = new Option<string?>("--seed", "-s")
        {
            Description = $"A node's RESP address, host:port (default: the seeds of --client, else CAIRN_SERVER, else {KvCommands.DefaultServer}).",
            Recursive = true,
        };
        var client = new Option<string?>("--client", "-c")
        {
            Description = "A client.json (from cairn config cluster) whose seeds are tried in order; its password is used.",
            Recursive = true,
        };
        var password = new Option<string?>("--password", "-a")
        {
            Description = "The password to AUTH with (or CAIRN_PASSWORD; overrides the client file's).",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_PASSWORD") is { Length: > 0 } env ? env : null,
        };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON.", Recursive = true };
        var options = new Options(seed, client, password, json);
        var admin = new Command("admin", "Inspect a running Cairn cluster: its state, nodes, shard groups and slots.")
        {
            seed,
            client,
            password,
            json,
        };
        admin.Subcommands.Add(Create("status", "Show the cluster's state, its nodes up, groups, slots covered, keys, and every problem.", options, PrintStatus));
        admin.Subcommands.Add(Create("nodes", "Show each node: address, internal port, reachable, groups led, replicas held, slots served, keys.", options, PrintNodes));
        admin.Subcommands.Add(Create("groups", "Show each shard group: its slot ranges, slot count, leader and replicas.", options, PrintGroups));
        admin.Subcommands.Add(Create("slots", "Show the slot ranges and their owners, and a map of all 16384 slots by leader.", options, PrintSlots));
        admin.Subcommands.Add(NodeVerb("drain-node", "DRAIN", "Move every replica and leadership off a node (the cluster's scheduler does it), showing progress until done.", options, wait: true));
        admin.Subcommands.Add(NodeVerb("undrain-node", "UNDRAIN", "Bring a draining node back: it may take replicas again.", options, wait: false));
        admin.Subcommands.Add(NodeVerb("remove-node", "REMOVE", "Remove a drained node (one that holds no replica) from the cluster.", options, wait: false));
        admin.Subcommands.Add(MoveSlots(options));
        admin.Subcommands.Add(Rebalance(options));
        return admin;
    }

    private static Command MoveSlots(Options options)
    {
        var from = new Option<ulong>("--from") { Description = "The shard group the slots leave (as `cairn admin groups` shows it).", Required = true };
        var to = new Option<ulong>("--to") { Description = "The shard group the slots go to.", Required = true };
        var slots = new Option<string?>("--slots") { Description = "The slots to move, as a-b,c,… (they must belong to --from)." };
        var count = new Option<int?>("--count") { Description = "Move this many of --from's slots (its highest) instead of naming them." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the moves have begun." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the moves to finish.", DefaultValueFactory = _ => 600 };
        var command = new Command("move-slots", "Move slots from one shard group to another (fence, copy, hand over), showing progress until done.") { from, to, slots, count, noWait, timeout };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(slots) is null) == (result.GetValue(count) is null))
            {
                result.AddError("Give --slots or --count (one of them).");
            }

            if (result.GetValue(count) is { } n && (n < 1 || n > Cairn.Core.HashSlot.Count))
            {
                result.AddError($"--count must be 1..{Cairn.Core.HashSlot.Count}.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (seeds, password) = Seeds(parseResult, options);
            var source = parseResult.GetValue(from);
            var spec = parseResult.GetValue(slots) ?? await SlotOperation.PickSlotsAsync(seeds, password, source, parseResult.GetValue(count)!.Value, cancellationToken);
            await SlotOperation.MoveAsync(seeds, password, source, parseResult.GetValue(to), spec, TimeSpan.FromSeconds(Math.Clamp(parseResult.GetValue(timeout), 1, 86_400)), !parseResult.GetValue(noWait), System.Console.WriteLine, cancellationToken);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Rebalance(Options options)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what the scheduler would do now, and do nothing." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the cluster to be balanced.", DefaultValueFactory = _ => 600 };
        var command = new Command("rebalance", "Even out slots over shard groups (and show the replica moves the scheduler makes), showing progress until balanced.") { dryRun, timeout };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (seeds, password) = Seeds(parseResult, options);
            if (parseResult.GetValue(dryRun))
            {
                var plan = await SlotOperation.PlanAsync(seeds, password, cancellationToken);
                System.Console.WriteLine(plan.Count == 0 ? "balanced: nothing to do" : string.Join('\n', plan));
                return ExitCodes.Success;
            }

            await SlotOperation.RebalanceAsync(seeds, password, TimeSpan.FromSeconds(Math.Clamp(parseResult.GetValue(timeout), 1, 86_400)), System.Console.WriteLine, cancellationToken);
            System.Console.WriteLine("balanced");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command NodeVerb(string name, string verb, string description, Options options, bool wait)
    {
        var node = new Argument<ulong>("node") { Description = "The node's id (as `cairn admin nodes` shows it)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the cluster has taken the request." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the drain to finish.", DefaultValueFactory = _ => 600 };
        var command = new Command(name, description) { node };
        if (wait)
        {
            command.Options.Add(noWait);
            command.Options.Add(timeout);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (seeds, password) = Seeds(parseResult, options);
            var id = parseResult.GetValue(node);
            System.Console.WriteLine(await NodeOperation.RunAsync(seeds, password, verb, id, cancellationToken));
            if (wait && !parseResult.GetValue(noWait))
            {
                await NodeOperation.WaitDrainedAsync(seeds, password, id, TimeSpan.FromSeconds(Math.Clamp(parseResult.GetValue(timeout), 1, 86_400)), System.Console.WriteLine, cancellationToken);
                System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"node {id} is drained: remove it with `cairn admin remove-node {id}`"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Create(string name, string description, Options options, Func<ClusterSnapshot, bool, int> print)
    {
        var command = new Command(name, description);

        // On the subcommand: a parent's validators do not run when a subcommand is invoked.
        command.Validators.Add(result =>
        {
            if (result.GetValue(options.Seed) is not null && result.GetValue(options.Client) is not null)
            {
                result.AddError("Give --seed or --client, not both.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (seeds, password) = Seeds(parseResult, options);
            var snapshot = await ClusterReader.ReadAsync(seeds, password, ClusterReader.DefaultTimeout, cancellationToken);
            return print(snapshot, parseResult.GetValue(options.Json));
        });
        return command;
    }

    private static (IReadOnlyList<string> Seeds, string? Password) Seeds(ParseResult parseResult, Options options)
    {
        var password = parseResult.GetValue(options.Password);
        if (parseResult.GetValue(options.Seed) is { } seed)
        {
            return ([seed], password);
        }

        if (parseResult.GetValue(options.Client) is { } path)
        {
            var config = ClientConfig.Load(path);
            return (config.Seeds, password ?? config.Password);
        }

        return ([Environment.GetEnvironmentVariable("CAIRN_SERVER") is { Length: > 0 } env ? env : KvCommands.DefaultServer], password);
    }

    private static int PrintStatus(ClusterSnapshot snapshot, bool asJson)
    {
        var r = AdminReport.Status(snapshot);
        if (asJson)
        {
            System.Console.WriteLine(JsonSerializer.Serialize(r, AdminJsonContext.Default.StatusReport));
            return ExitCodes.Success;
        }

        var inv = CultureInfo.InvariantCulture;
        var table = new Table().Title(Markup.Escape($"cluster via {r.Seed}")).AddColumn("Cluster").AddColumn("Value");
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("State", r.State);
        Row("Nodes up", string.Create(inv, $"{r.NodesUp}/{r.NodesTotal}"));
        Row("Shard groups", string.Create(inv, $"{r.Groups} ({r.GroupsWithLeader} with a leader)"));
        Row("Slots covered", string.Create(inv, $"{r.SlotsCovered}/{SlotRange.SlotCount} ({r.SlotsAssigned} assigned)"));
        Row("Keys", r.KeysTotal.ToString(inv));
        var console = Console();
        console.Write(table);
        foreach (var warning in r.Warnings)
        {
            console.MarkupLine("[yellow]warning:[/] " + Markup.Escape(warning));
        }

        return ExitCodes.Success;
    }

    private static int PrintNodes(ClusterSnapshot snapshot, bool asJson)
    {
        var nodes = AdminReport.Nodes(snapshot);
        if (asJson)
        {
            System.Console.WriteLine(JsonSerializer.Serialize(nodes, AdminJsonContext.Default.IReadOnlyListNodeReport));
            return ExitCodes.Success;
        }

        var inv = CultureInfo.InvariantCulture;
        var table = new Table()
            .AddColumn("Node")
            .AddColumn("Address")
            .AddColumn(new TableColumn("Internal").RightAligned())
            .AddColumn("Up")
            .AddColumn("Leads")
            .AddColumn("Replicas")
            .AddColumn(new TableColumn("Slots").RightAligned())
            .AddColumn(new TableColumn("Keys").RightAligned());
        foreach (var n in nodes)
        {
            table.AddRow(
                Markup.Escape(NodeIds.Short(n.FullId)),
                Markup.Escape(n.Address),
                n.InternalPort.ToString(inv),
                n.Reachable ? "yes" : "[red]no[/]",
                Markup.Escape(Groups(n.GroupsLed)),
                Markup.Escape(Groups(n.ReplicaGroups)),
                n.SlotsServed.ToString(inv),
                n.Keys?.ToString(inv) ?? "-");
        }

        Console().Write(table);
        return ExitCodes.Success;
    }

    private static int PrintGroups(ClusterSnapshot snapshot, bool asJson)
    {
        var groups = AdminReport.Groups(snapshot);
        if (asJson)
        {
            System.Console.WriteLine(JsonSerializer.Serialize(groups, AdminJsonContext.Default.IReadOnlyListGroupReport));
            return ExitCodes.Success;
        }

        var table = new Table()
            .AddColumn("Group")
            .AddColumn("Slots")
            .AddColumn(new TableColumn("Count").RightAligned())
            .AddColumn("Leader")
            .AddColumn("Replicas");
        foreach (var g in groups)
        {
            table.AddRow(
                Markup.Escape(g.Group),
                Markup.Escape(g.Slots.Length == 0 ? "-" : g.Slots),
                g.SlotCount.ToString(CultureInfo.InvariantCulture),
                g.Leader is null ? "[red]none[/]" : Markup.Escape(g.Leader),
                g.Replicas.Count == 0 ? "-" : string.Join(',', g.Replicas.Select(r => g.ReplicasDown.Contains(r) ? $"[red]{Markup.Escape(r)} (down)[/]" : Markup.Escape(r))));
        }

        Console().Write(table);
        return ExitCodes.Success;
    }

    private static int PrintSlots(ClusterSnapshot snapshot, bool asJson)
    {
        var slots = AdminReport.Slots(snapshot);
        if (asJson)
        {
            System.Console.WriteLine(JsonSerializer.Serialize(slots, AdminJsonContext.Default.SlotsReport));
            return ExitCodes.Success;
        }

        var inv = CultureInfo.InvariantCulture;
        var table = new Table()
            .AddColumn("Range")
            .AddColumn(new TableColumn("Count").RightAligned())
            .AddColumn("Group")
            .AddColumn("Leader");
        foreach (var r in slots.Ranges)
        {
            table.AddRow(
                Markup.Escape(new SlotRange(r.Start, r.End).ToString()),
                r.Count.ToString(inv),
                r.Group is null ? "[red]unassigned[/]" : Markup.Escape(r.Group),
                r.Group is null ? "-" : r.Leader is null ? "[red]none[/]" : Markup.Escape(r.Leader));
        }

        Console().Write(table);

        // The map and its legend are plain lines, never wrapped: 6 + 64 characters fit in 80 columns.
        var stdout = System.Console.Out;
        stdout.WriteLine();
        stdout.WriteLine(string.Create(inv, $"Slot map: {SlotMap.Columns * slots.SlotsPerCell} slots a row, {slots.SlotsPerCell} a character, each the leader of its slots:"));
        foreach (var row in slots.Map)
        {
            stdout.WriteLine(row);
        }

        stdout.WriteLine();
        foreach (var entry in slots.Legend)
        {
            stdout.WriteLine($"  {entry.Symbol}  {entry.Meaning}");
        }

        return ExitCodes.Success;
    }

    /// <summary>The console tables go to; piped output is not wrapped at 80 columns, so scripts see whole rows.</summary>
    private static IAnsiConsole Console()
    {
        var console = CliConsole.Create();
        if (!CliConsole.IsTerminal)
        {
            console.Profile.Width = 200;
        }

        return console;
    }

    private static string Groups(IReadOnlyList<string> groups) => groups.Count == 0
        ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{groups.Count} ({string.Join(',', groups)})");

    /// <summary>The options every admin command shares.</summary>
    private sealed record Options(Option<string?> Seed, Option<string?> Client, Option<string?> Password, Option<bool> Json);
}

using System.Globalization;
using System.Text;

namespace Cairn.Cli.Admin;

/// <summary>
/// A picture of all 16384 slots in 16 rows of 64 characters (16 slots a character), each character the leader of
/// its block: the node's symbol, <c>.</c> for slots no group owns, <c>-</c> for slots of a group without a leader
/// and <c>?</c> for a block with more than one of these.
/// </summary>
internal static class SlotMap
{
    /// <summary>Characters per row.</summary>
    public const int Columns = 64;

    /// <summary>Slots per character.</summary>
    public const int SlotsPerCell = SlotRange.SlotCount / Columns / Rows;

    /// <summary>Rows.</summary>
    public const int Rows = 16;

    /// <summary>The symbol of slots no group owns.</summary>
    public const char Unassigned = '.';

    /// <summary>The symbol of slots of a group without a leader.</summary>
    public const char Leaderless = '-';

    /// <summary>The symbol of a block with more than one owner.</summary>
    public const char Mixed = '?';

    /// <summary>The symbols nodes get: their numeric id when every node's id is below 62, their position otherwise.</summary>
    private const string Symbols = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Draws the map: the rows (each prefixed with its first slot) and the legend.</summary>
    public static (IReadOnlyList<string> Rows, IReadOnlyList<SlotMapLegend> Legend) Draw(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var symbols = AssignSymbols(snapshot);
        var owner = new char[SlotRange.SlotCount];
        Array.Fill(owner, Unassigned);
        foreach (var shard in snapshot.Shards)
        {
            var symbol = shard.Master is { } master ? symbols.GetValueOrDefault(master.Id, '#') : Leaderless;
            foreach (var range in shard.Slots)
            {
                owner.AsSpan(range.Start, range.Count).Fill(symbol);
            }
        }

        var rows = new List<string>(Rows);
        var line = new StringBuilder();
        for (var row = 0; row < Rows; row++)
        {
            line.Clear();
            line.Append(CultureInfo.InvariantCulture, $"{row * Columns * SlotsPerCell,5} ");
            for (var column = 0; column < Columns; column++)
            {
                var block = owner.AsSpan((row * Columns + column) * SlotsPerCell, SlotsPerCell);
                line.Append(block.ContainsAnyExcept(block[0]) ? Mixed : block[0]);
            }

            rows.Add(line.ToString());
        }

        var legend = new List<SlotMapLegend>();
        foreach (var node in snapshot.Nodes)
        {
            if (symbols.TryGetValue(node.Id, out var symbol))
            {
                legend.Add(new SlotMapLegend(symbol.ToString(), $"node {NodeIds.Short(node.Id)} ({node.Address})"));
            }
        }

        legend.Add(new SlotMapLegend(Unassigned.ToString(), "no group owns the slots"));
        legend.Add(new SlotMapLegend(Leaderless.ToString(), "the group has no leader"));
        legend.Add(new SlotMapLegend(Mixed.ToString(), $"more than one of these in the {SlotsPerCell} slots"));
        return (rows, legend);
    }

    private static Dictionary<string, char> AssignSymbols(ClusterSnapshot snapshot)
    {
        var ids = snapshot.Nodes.Select(n => n.Id)
            .Concat(snapshot.Shards.SelectMany(s => s.Nodes).Select(n => n.Id))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var numbers = ids.Select(NodeIds.ToNumber).ToList();
        var byNumber = numbers.All(n => n < (ulong)Symbols.Length) && numbers.Distinct().Count() == numbers.Count;
        var symbols = new Dictionary<string, char>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            var index = byNumber ? (int)numbers[i]!.Value : i + 1;
            symbols[ids[i]] = index < Symbols.Length ? Symbols[index] : '#';
        }

        return symbols;
    }
}

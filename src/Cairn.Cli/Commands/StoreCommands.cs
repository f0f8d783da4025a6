using System.CommandLine;

namespace Cairn.Cli.Commands;

/// <summary><c>cairn store</c>: operator commands that work on a LogStore directory directly, with no server running.</summary>
public static class StoreCommands
{
    /// <summary>Creates the <c>store</c> command group.</summary>
    public static Command Create()
    {
        var store = new Command("store", "Work on a local store directory directly (the server must not have it open).");
        store.Subcommands.Add(ImportFlatFsCommand.Create());
        store.Subcommands.Add(StoreStatsCommand.Create());
        store.Subcommands.Add(StoreCompactCommand.Create());
        return store;
    }
}

using System.CommandLine;
using Cairn.Cli.Commands;

namespace Cairn.Cli;

/// <summary>The entry point of the <c>cairn</c> executable.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Main(string[] args) => CliRunner.Run(CreateRootCommand(), args);

    /// <summary>Assembles every command group of <c>cairn</c>.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("Cairn: a sharded, replicated key-value store, file system and S3 gateway.");
        root.Subcommands.Add(ServerCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(StoreCommands.Create());
        root.Subcommands.Add(KvCommands.Create());
        root.Subcommands.Add(RaftNodeCommand.Create());
        root.Subcommands.Add(NodeCommand.Create());
        root.Subcommands.Add(ConfigCommands.Create());
        root.Subcommands.Add(AdminCommands.Create());
        return root;
    }
}

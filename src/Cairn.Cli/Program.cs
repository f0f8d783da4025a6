using System.CommandLine;
using System.Reflection;

namespace Cairn.Cli;

/// <summary>The entry point of the <c>cairn</c> executable.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("Cairn: a sharded, replicated key-value store, file system and S3 gateway.");
        var version = new Command("version", "Print the version of cairn.");
        version.SetAction(_ =>
        {
            var informational = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"cairn {informational}");
        });
        root.Subcommands.Add(version);
        return root.Parse(args).Invoke();
    }
}

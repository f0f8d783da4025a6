using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Cairn.Cli.Commands;

/// <summary><c>cairn version</c>: the version of cairn and of the .NET runtime it runs on.</summary>
public static class VersionCommand
{
    /// <summary>The informational version of this build of cairn, e.g. <c>0.1.0+3f2a…</c>.</summary>
    public static string InformationalVersion =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var command = new Command("version", "Print the version of cairn and of the .NET runtime.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"cairn {InformationalVersion}");
            Console.WriteLine($"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
            return ExitCodes.Success;
        });
        return command;
    }
}

using Spectre.Console;

namespace Cairn.Cli.Output;

/// <summary>
/// The Spectre.Console console cairn renders tables and progress with: ANSI colours and live widgets only when
/// stdout is a terminal, plain text when it is redirected to a file or a pipe.
/// </summary>
public static class CliConsole
{
    /// <summary>Whether stdout is a terminal a person is watching.</summary>
    public static bool IsTerminal => !Console.IsOutputRedirected;

    /// <summary>Creates a console that writes to stdout.</summary>
    public static IAnsiConsole Create() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = IsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        Out = new AnsiConsoleOutput(Console.Out),
    });
}

using System.CommandLine;
using System.CommandLine.Invocation;

namespace Cairn.Cli;

/// <summary>
/// Parses and invokes a command line with cairn's conventions: usage errors print the errors and the usage of the
/// command on stderr and exit <see cref="ExitCodes.Usage"/>; expected operational failures print one
/// <c>cairn: error: </c> line on stderr and exit <see cref="ExitCodes.Failure"/>, never a stack trace.
/// </summary>
public static class CliRunner
{
    /// <summary>The prefix of every operational error line on stderr.</summary>
    public const string ErrorPrefix = "cairn: error: ";

    /// <summary>Runs <paramref name="args"/> against <paramref name="root"/> and returns the process exit code.</summary>
    public static int Run(RootCommand root, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);

        var parseResult = root.Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            // The parse-error action prints the errors and then the command's help; both belong on stderr.
            parseResult.Invoke(new InvocationConfiguration { Output = Console.Error, Error = Console.Error });
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            // Commands that must stop cleanly (import) handle Ctrl+C themselves, so the store is always disposed.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };

        try
        {
            return parseResult.Invoke(configuration);
        }
        catch (Exception e) when (IsOperationalFailure(e))
        {
            WriteError(e.Message);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            WriteError("cancelled.");
            return ExitCodes.Cancelled;
        }
    }

    /// <summary>Writes <paramref name="message"/> to stderr as one <c>cairn: error: </c> line.</summary>
    public static void WriteError(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var oneLine = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Console.Error.WriteLine(ErrorPrefix + oneLine);
    }

    // CorruptionException, DirectoryNotFoundException and a locked store's IOException are all IOExceptions;
    // InvalidDataException is a SystemException, so each is named.
    private static bool IsOperationalFailure(Exception e) =>
        e is IOException or InvalidDataException or UnauthorizedAccessException or FormatException;
}

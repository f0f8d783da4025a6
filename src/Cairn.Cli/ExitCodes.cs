namespace Cairn.Cli;

/// <summary>The process exit codes of <c>cairn</c>.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command failed: a missing, locked, corrupt or unreadable store, or another I/O error.</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong: an unknown command or option, or a missing or malformed argument.</summary>
    public const int Usage = 2;

    /// <summary>The command was cancelled with Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}

namespace Cairn.Cli.Config;

/// <summary>The write durability a node config can ask for.</summary>
public static class SyncModes
{
    /// <summary>Every write is acknowledged after its own fsync.</summary>
    public const string Always = "always";

    /// <summary>Writes are acknowledged after an fsync that concurrent writes share (the default).</summary>
    public const string Group = "group";

    /// <summary>Writes are acknowledged when written and fsynced every second.</summary>
    public const string Periodic = "periodic";

    /// <summary>Whether <paramref name="mode"/> is a mode this version knows (exact, lower case).</summary>
    public static bool IsKnown(string? mode) => mode is Always or Group or Periodic;
}

namespace Cairn.Simulation.World;

/// <summary>Whether a simulated process runs, and if not, why.</summary>
public enum NodeStatus
{
    Up,

    /// <summary>Killed (or died in the middle of a write); its disk kept what was durable. It can restart.</summary>
    Down,

    /// <summary>Stopped itself on a disk error it was given (full disk, corruption): failing safely. It can restart.</summary>
    Failed,

    /// <summary>Refused to open its corrupted log (it was given a bit flip), rather than guess: it stays down.</summary>
    Unrecoverable,
}

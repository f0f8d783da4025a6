namespace Cairn.Simulation.Kv;

/// <summary>The operations the simulated KV store offers: a compare-and-set register per key (Knossos' cas-register).</summary>
public enum KvOpKind : byte
{
    /// <summary>Reads a key's value (0 when the key was never written).</summary>
    Get = 1,

    /// <summary>Writes a value unconditionally.</summary>
    Put = 2,

    /// <summary>Writes a value only if the key holds the expected one.</summary>
    Cas = 3,
}

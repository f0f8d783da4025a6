namespace Cairn.Simulation.Kv;

/// <summary>
/// Hashes that are the same in every process. <see cref="HashCode"/> is seeded per process, so anything that feeds a
/// trace hash or a cross-node comparison uses these instead (splitmix64 and FNV-1a).
/// </summary>
public static class StableHash
{
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static ulong Combine(ulong seed, ulong value) => Mix(seed ^ Mix(value));

    public static ulong Combine(ulong seed, ulong a, ulong b) => Combine(Combine(seed, a), b);

    public static ulong Bytes(ReadOnlySpan<byte> data)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var b in data)
        {
            hash = (hash ^ b) * 0x100000001B3UL;
        }

        return hash;
    }

    public static ulong Text(string text)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }

        return hash;
    }
}

namespace Cairn.Simulation.Kv;

/// <summary>What an applied operation returned: a get's value, or whether a put or CAS took effect.</summary>
public readonly record struct KvResult(bool Ok, long Value)
{
    public override string ToString() => Ok ? $"ok {Value}" : $"fail {Value}";
}

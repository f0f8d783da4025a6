using Cairn.Core;

namespace Cairn.Kv.Keyspace;

/// <summary>
/// The hash slots a keyspace must not serve: a cluster shard group's leader closes a slot when it hands it over to
/// another group (ADR 0026). Changed under the keyspace's gate, so no write evaluated after the change touches a closed
/// slot; read without a lock on the hot path.
/// </summary>
internal sealed class ClosedSlots
{
    private readonly bool[] _closed = new bool[HashSlot.Count];
    private int _count;

    /// <summary>Whether no slot is closed (the common case: one volatile read).</summary>
    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    /// <summary>Whether <paramref name="slot"/> is closed.</summary>
    public bool Contains(int slot) => Volatile.Read(ref _closed[slot]);

    /// <summary>Closes <paramref name="slot"/>.</summary>
    public void Close(int slot)
    {
        if (!_closed[slot])
        {
            Volatile.Write(ref _closed[slot], true);
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>Opens <paramref name="slot"/> again.</summary>
    public void Open(int slot)
    {
        if (_closed[slot])
        {
            Volatile.Write(ref _closed[slot], false);
            Interlocked.Decrement(ref _count);
        }
    }
}

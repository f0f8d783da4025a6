using System.Buffers;

namespace Cairn.Kv.Keyspace;

/// <summary>Room for one engine key (a user key plus a prefix), from the pool when it is too big for the stack.</summary>
internal ref struct EngineKeyBuffer
{
    public const int StackSize = 256;
    private byte[]? _rented;

    public EngineKeyBuffer(int keyLength, Span<byte> stack)
    {
        var needed = keyLength + EngineKeys.ExpiryHeader;
        if (needed <= stack.Length)
        {
            Space = stack;
        }
        else
        {
            _rented = ArrayPool<byte>.Shared.Rent(needed);
            Space = _rented;
        }
    }

    public Span<byte> Space { get; }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}

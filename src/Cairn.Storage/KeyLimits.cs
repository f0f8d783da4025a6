using Cairn.Core;

namespace Cairn.Storage;

/// <summary>The checks every engine makes on keys and values before it writes them.</summary>
internal static class KeyLimits
{
    public static void CheckPut(IKvEngine engine, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        LimitExceededException.ThrowIfAbove("key", key.Length, engine.MaxKeySize);
        LimitExceededException.ThrowIfAbove("value", value.Length, engine.MaxValueSize);
    }

    public static void CheckKey(IKvEngine engine, ReadOnlySpan<byte> key) =>
        LimitExceededException.ThrowIfAbove("key", key.Length, engine.MaxKeySize);

    public static void CheckBatch(IKvEngine engine, WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var op in batch.Operations)
        {
            if (op.Value is null)
            {
                CheckKey(engine, op.Key);
            }
            else
            {
                CheckPut(engine, op.Key, op.Value);
            }
        }
    }

    public static void CheckScan(int limit) => ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
}

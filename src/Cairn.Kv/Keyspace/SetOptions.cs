namespace Cairn.Kv.Keyspace;

/// <summary>When a SET writes: always, only if the key is absent (NX), or only if it is present (XX).</summary>
public enum SetCondition
{
    /// <summary>Write whatever the key holds.</summary>
    Always,

    /// <summary>Write only if the key does not exist.</summary>
    IfAbsent,

    /// <summary>Write only if the key exists.</summary>
    IfPresent,
}

/// <summary>The options of a SET command.</summary>
/// <param name="Condition">NX / XX.</param>
/// <param name="ExpireAt">Absolute expiry in Unix milliseconds (EX/PX/EXAT/PXAT), 0 for none.</param>
/// <param name="KeepTtl">KEEPTTL: keep the key's current expiry.</param>
/// <param name="ReturnPrevious">GET: return the value the key held.</param>
public readonly record struct SetOptions(SetCondition Condition, long ExpireAt, bool KeepTtl, bool ReturnPrevious);

/// <summary>What a SET did.</summary>
/// <param name="Written">Whether the value was written (false when NX/XX said no).</param>
/// <param name="HadPrevious">Whether the key held a value before (read only when asked for).</param>
/// <param name="Token">The durability token of the write, 0 if nothing was written.</param>
public readonly record struct SetResult(bool Written, bool HadPrevious, ulong Token);

/// <summary>The conditions of EXPIRE and its relatives.</summary>
public enum ExpireCondition
{
    /// <summary>Always set the expiry.</summary>
    Always,

    /// <summary>NX: only when the key has no expiry.</summary>
    IfNone,

    /// <summary>XX: only when the key has an expiry.</summary>
    IfSome,

    /// <summary>GT: only when the new expiry is later than the current one.</summary>
    IfLater,

    /// <summary>LT: only when the new expiry is sooner than the current one.</summary>
    IfSooner,
}

/// <summary>One page of a keyspace scan.</summary>
/// <param name="Keys">The keys found, in key order.</param>
/// <param name="Cursor">The cursor to continue from; 0 when the scan is complete.</param>
public sealed record KeyScanPage(IReadOnlyList<byte[]> Keys, long Cursor);

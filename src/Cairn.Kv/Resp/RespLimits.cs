using Cairn.Core;

namespace Cairn.Kv.Resp;

/// <summary>The sizes a RESP request may reach; anything larger is refused before it is buffered.</summary>
public sealed record RespLimits
{
    /// <summary>Most elements in a request array. Default <see cref="Limits.MaxRespArrayLength"/>.</summary>
    public int MaxArrayLength { get; init; } = Limits.MaxRespArrayLength;

    /// <summary>Largest bulk string (a value) in a request. Default 16 MiB plus room for a key.</summary>
    public int MaxBulkLength { get; init; } = Limits.MaxValueSize + Limits.MaxKeySize;

    /// <summary>Largest inline (telnet-style) request line. Default 64 KiB.</summary>
    public int MaxInlineLength { get; init; } = 64 * 1024;

    /// <summary>Most bytes one request may occupy in the receive buffer. Default 512 MiB.</summary>
    public long MaxRequestBytes { get; init; } = 512L * 1024 * 1024;
}

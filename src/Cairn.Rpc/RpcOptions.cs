namespace Cairn.Rpc;

/// <summary>
/// How a node speaks the internal transport: who it is, the cluster secret, limits and timeouts. One instance serves
/// both <see cref="RpcServer"/> and <see cref="RpcPeer"/>. Every limit is enforced with an error that names it.
/// </summary>
public sealed class RpcOptions
{
    /// <summary>The smallest cluster secret accepted, in bytes: shorter secrets can be guessed offline from a transcript.</summary>
    public const int MinClusterSecretBytes = 16;

    /// <summary>The longest node id accepted, in UTF-8 bytes.</summary>
    public const int MaxNodeIdBytes = 256;

    /// <summary>This node's id, sent in the handshake and reported to the other side's handlers.</summary>
    public required string NodeId { get; init; }

    /// <summary>The secret every node of the cluster shares; proves membership in the handshake and is never sent.</summary>
    public required ReadOnlyMemory<byte> ClusterSecret { get; init; }

    /// <summary>The largest protobuf envelope in one frame (default 16 MiB).</summary>
    public int MaxMessageBytes { get; init; } = 16 << 20;

    /// <summary>The largest raw payload in one frame (default 64 MiB).</summary>
    public int MaxPayloadBytes { get; init; } = 64 << 20;

    /// <summary>
    /// The most stream bytes a receiver holds unread per stream (default 4 MiB): the sender may have at most this many
    /// bytes sent and not yet consumed, so a fast sender cannot exhaust a slow receiver's memory.
    /// </summary>
    public int StreamWindowBytes { get; init; } = 4 << 20;

    /// <summary>
    /// The largest chunk a stream sends in one frame (default 64 KiB); longer writes are split. Kept under the .NET
    /// large-object threshold (85,000 bytes), since each chunk is an array on both sides: larger ones made every
    /// chunk a large-object allocation and a snapshot stream a steady source of full collections.
    /// </summary>
    public int StreamChunkBytes { get; init; } = 64 << 10;

    /// <summary>The most frames waiting to be written to one connection (default 10,000); more fail with <see cref="RpcStatus.ResourceExhausted"/>.</summary>
    public int SendQueueLimit { get; init; } = 10_000;

    /// <summary>The most bytes waiting to be written to one connection (default 256 MiB); one frame larger than this is still let through an empty queue.</summary>
    public long SendQueueLimitBytes { get; init; } = 256L << 20;

    /// <summary>The most calls and streams a connection runs at once for its peer (default 1,024).</summary>
    public int MaxConcurrentCalls { get; init; } = 1024;

    /// <summary>The most connections a server accepts at once (default 10,000).</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>The deadline of a call that names none (default 30 s).</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long TCP connect may take (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long TLS plus the cluster-secret handshake may take (default 5 s); a silent peer is dropped after it.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The first delay before reconnecting after a failed attempt (default 50 ms); it doubles per failure.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest delay between reconnect attempts (default 5 s).</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a connection proves it is alive (default 5 s): each side sends a Ping when it has sent nothing for
    /// this long, and closes the connection when it has received nothing for three intervals. This catches peers
    /// that vanished without a FIN or RST (power loss, a partition), which TCP alone notices only after minutes.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>TLS settings; null runs plain TCP (the handshake still authenticates both sides).</summary>
    public RpcTlsOptions? Tls { get; init; }

    /// <summary>Checks the options, naming the first field that is wrong.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(NodeId) || System.Text.Encoding.UTF8.GetByteCount(NodeId) > MaxNodeIdBytes)
        {
            throw new ArgumentException($"RpcOptions.NodeId must be 1 to {MaxNodeIdBytes} UTF-8 bytes.");
        }

        if (ClusterSecret.Length < MinClusterSecretBytes)
        {
            throw new ArgumentException($"RpcOptions.ClusterSecret is {ClusterSecret.Length} bytes; it must be at least {MinClusterSecretBytes} random bytes.");
        }

        RequirePositive(MaxMessageBytes, nameof(MaxMessageBytes));
        RequirePositive(MaxPayloadBytes, nameof(MaxPayloadBytes));
        RequirePositive(StreamWindowBytes, nameof(StreamWindowBytes));
        RequirePositive(StreamChunkBytes, nameof(StreamChunkBytes));
        RequirePositive(SendQueueLimit, nameof(SendQueueLimit));
        RequirePositive(SendQueueLimitBytes, nameof(SendQueueLimitBytes));
        RequirePositive(MaxConcurrentCalls, nameof(MaxConcurrentCalls));
        RequirePositive(MaxConnections, nameof(MaxConnections));
        if (StreamChunkBytes > StreamWindowBytes || StreamChunkBytes > MaxPayloadBytes)
        {
            throw new ArgumentException("RpcOptions.StreamChunkBytes must not exceed StreamWindowBytes or MaxPayloadBytes.");
        }

        if (KeepAliveInterval <= TimeSpan.Zero && KeepAliveInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException("RpcOptions.KeepAliveInterval must be positive, or Timeout.InfiniteTimeSpan to turn keepalive off.");
        }

        Tls?.Validate();
    }

    private static void RequirePositive(long value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"RpcOptions.{name} must be positive; it is {value}.");
        }
    }
}

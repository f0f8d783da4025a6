namespace Cairn.Kv.Server;

/// <summary>Counters INFO reports.</summary>
internal sealed class ServerStats
{
    private long _commands;
    private long _connections;
    private long _rejected;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public long Commands => Interlocked.Read(ref _commands);

    public long ConnectionsReceived => Interlocked.Read(ref _connections);

    public long RejectedConnections => Interlocked.Read(ref _rejected);

    public void CountCommand() => Interlocked.Increment(ref _commands);

    public void CountConnection() => Interlocked.Increment(ref _connections);

    public void CountRejected() => Interlocked.Increment(ref _rejected);
}

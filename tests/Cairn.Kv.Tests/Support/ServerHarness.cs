using System.Net;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Server;
using Cairn.Storage;
using Cairn.Storage.LogStore;

namespace Cairn.Kv.Tests.Support;

/// <summary>A <see cref="RespServer"/> on a free port over a LogStore in a temp directory, in this process.</summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();

    public ServerHarness(KvServerOptions? options = null, TimeProvider? clock = null)
    {
        Backend = new LocalKvBackend(LogStore.Open(_dir.Path, new LogStoreOptions { Sync = SyncPolicy.GroupCommit }), clock);
        Server = new RespServer(Backend, (options ?? new KvServerOptions()) with { Port = 0 }, log: Log.Enqueue, clock: clock);
        Server.Start();
    }

    public LocalKvBackend Backend { get; }

    public RespServer Server { get; }

    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new(); // written from server threads

    public IPEndPoint EndPoint => Server.LocalEndPoint!;

    public RespClient Connect(TimeSpan? timeout = null) => new(EndPoint, timeout);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Backend.Dispose();
        _dir.Dispose();
    }
}

using Cairn.Client.Datastore;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Testing;

namespace Cairn.Client.Tests;

/// <summary>The datastore conformance suite, run against <see cref="LocalDatastore"/> over a LogStore on disk.</summary>
public sealed class LocalDatastoreOverLogStoreTests : DatastoreConformance, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-ds-" + Guid.NewGuid().ToString("N"));

    protected override Task<IDatastore> OpenAsync()
    {
        var store = LogStore.Open(Path.Combine(_root, Guid.NewGuid().ToString("N")), new LogStoreOptions { Sync = SyncPolicy.GroupCommit });
        return Task.FromResult<IDatastore>(new LocalDatastore(store, ownsEngine: true));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Synced_data_is_there_after_the_store_is_reopened()
    {
        var dir = Path.Combine(_root, "reopen");
        await using (var ds = new LocalDatastore(LogStore.Open(dir), ownsEngine: true))
        {
            await ds.PutAsync(new Key("/blocks/CIQA"), "block"u8.ToArray());
            await ds.SyncAsync(new Key("/blocks"));
        }

        await using var again = new LocalDatastore(LogStore.Open(dir), ownsEngine: true);
        Assert.Equal("block"u8.ToArray(), await again.GetAsync(new Key("/blocks/CIQA")));
    }
}

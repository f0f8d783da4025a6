using Cairn.Storage;

namespace Cairn.Client.Datastore;

/// <summary>A <see cref="LocalDatastore"/> batch: one <see cref="WriteBatch"/>, written atomically at commit.</summary>
internal sealed class LocalDatastoreBatch(LocalDatastore datastore) : IDatastoreBatch
{
    private readonly Lock _lock = new();
    private readonly WriteBatch _batch = new();
    private bool _committed;

    public Task PutAsync(Key key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var bytes = DatastoreKeyBytes.Encode(key);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ThrowIfCommitted();
            _batch.Put(bytes, value.Span);
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = DatastoreKeyBytes.Encode(key);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ThrowIfCommitted();
            _batch.Delete(bytes);
        }

        return Task.CompletedTask;
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ThrowIfCommitted();
            _committed = true;
        }

        await datastore.WriteAsync(_batch, cancellationToken);
    }

    private void ThrowIfCommitted()
    {
        if (_committed)
        {
            throw new InvalidOperationException("The batch was committed; start a new batch.");
        }
    }
}

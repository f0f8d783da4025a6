namespace Cairn.Client.Datastore;

/// <summary>
/// A <see cref="ClusterDatastore"/> batch: its operations are kept (values copied) until commit, then split by slot
/// and sent (see <see cref="ClusterDatastore.SendBatchAsync"/>).
/// </summary>
internal sealed class ClusterDatastoreBatch(ClusterDatastore datastore) : IDatastoreBatch
{
    private readonly Lock _lock = new();
    private readonly List<(byte[] Key, byte[]? Value)> _operations = [];
    private bool _committed;

    public Task PutAsync(Key key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var bytes = DatastoreKeyBytes.Encode(key);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ThrowIfCommitted();
            _operations.Add((bytes, value.ToArray()));
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
            _operations.Add((bytes, null));
        }

        return Task.CompletedTask;
    }

    public Task CommitAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ThrowIfCommitted();
            _committed = true;
        }

        return _operations.Count == 0 ? Task.CompletedTask : datastore.SendBatchAsync(_operations, cancellationToken);
    }

    private void ThrowIfCommitted()
    {
        if (_committed)
        {
            throw new InvalidOperationException("The batch was committed; start a new batch.");
        }
    }
}

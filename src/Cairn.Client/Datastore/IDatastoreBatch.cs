namespace Cairn.Client.Datastore;

/// <summary>
/// Puts and deletes gathered to be written together: go-datastore's <c>Batch</c>. Nothing is visible before
/// <see cref="CommitAsync"/>; operations apply in the order they were added, a later one on a key winning. A batch
/// is not a transaction. A committed batch is spent: using it again throws <see cref="InvalidOperationException"/>.
/// </summary>
public interface IDatastoreBatch
{
    /// <summary>Adds a put of <paramref name="key"/> to <paramref name="value"/>.</summary>
    /// <exception cref="InvalidOperationException">The batch was committed.</exception>
    Task PutAsync(Key key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default);

    /// <summary>Adds a delete of <paramref name="key"/>.</summary>
    /// <exception cref="InvalidOperationException">The batch was committed.</exception>
    Task DeleteAsync(Key key, CancellationToken cancellationToken = default);

    /// <summary>Writes the batch. The batch is spent once this is called, whether or not it succeeds.</summary>
    /// <exception cref="InvalidOperationException">The batch was committed.</exception>
    Task CommitAsync(CancellationToken cancellationToken = default);
}

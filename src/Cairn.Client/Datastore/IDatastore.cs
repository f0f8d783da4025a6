namespace Cairn.Client.Datastore;

/// <summary>
/// A key-value datastore with go-datastore's semantics (its <c>Datastore</c>, <c>Batching</c> and <c>Syncing</c>
/// interfaces), so that an IPFS node can keep its data in Cairn. Every implementation passes the same conformance
/// suite.
/// </summary>
/// <remarks>
/// A missing key is reported one way only: <see cref="GetAsync"/> and <see cref="GetSizeAsync"/> throw
/// <see cref="DatastoreNotFoundException"/>; <see cref="HasAsync"/> returns false; <see cref="DeleteAsync"/>
/// succeeds. Implementations are safe for concurrent use.
/// </remarks>
public interface IDatastore : IAsyncDisposable
{
    /// <summary>The value of <paramref name="key"/>.</summary>
    /// <exception cref="DatastoreNotFoundException">The key is absent.</exception>
    Task<byte[]> GetAsync(Key key, CancellationToken cancellationToken = default);

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    Task<bool> HasAsync(Key key, CancellationToken cancellationToken = default);

    /// <summary>The size in bytes of the value of <paramref name="key"/>.</summary>
    /// <exception cref="DatastoreNotFoundException">The key is absent.</exception>
    Task<int> GetSizeAsync(Key key, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, replacing any earlier value.</summary>
    Task PutAsync(Key key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default);

    /// <summary>Removes <paramref name="key"/>. Removing an absent key succeeds.</summary>
    Task DeleteAsync(Key key, CancellationToken cancellationToken = default);

    /// <summary>
    /// The entries <paramref name="query"/> selects: each with its key, its value unless the query is keys-only, and
    /// its size always. Writes made while the results are read may or may not be seen.
    /// </summary>
    IAsyncEnumerable<QueryEntry> QueryAsync(Query query, CancellationToken cancellationToken = default);

    /// <summary>
    /// A batch of puts and deletes that take effect together at <see cref="IDatastoreBatch.CommitAsync"/>. Batches
    /// are not transactions: an implementation may apply a batch's operations one by one.
    /// </summary>
    Task<IDatastoreBatch> BatchAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes every put and delete under <paramref name="prefix"/> that completed before the call durable: on return
    /// they survive a crash. An implementation may sync more than the prefix.
    /// </summary>
    Task SyncAsync(Key prefix, CancellationToken cancellationToken = default);
}

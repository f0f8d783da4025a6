namespace Cairn.Storage.FlatFs;

/// <summary>Copies a flatfs store, such as an IPFS block store, into any engine.</summary>
public static class FlatFsImport
{
    /// <summary>The most operations one write batch of an import holds.</summary>
    public const int MaxBatchOperations = 1000;

    /// <summary>The most bytes of keys and values one write batch of an import holds (a larger single value gets a batch of its own).</summary>
    public const long MaxBatchBytes = 8L * 1024 * 1024;

    private const int PageSize = 1000;

    /// <summary>
    /// Copies every key of <paramref name="source"/> with its value into <paramref name="target"/>, in key order,
    /// in write batches of at most <see cref="MaxBatchOperations"/> operations and <see cref="MaxBatchBytes"/> bytes.
    /// Memory stays bounded by one batch and one page of keys, whatever the size of the store.
    /// </summary>
    /// <param name="source">The store to read.</param>
    /// <param name="target">The engine to write; keys it already holds are overwritten.</param>
    /// <param name="progress">Told the totals before the first batch and the running counts after every batch.</param>
    /// <param name="ct">Stops the import between keys; batches already written stay written.</param>
    /// <returns>The keys and bytes copied.</returns>
    /// <remarks>
    /// The totals are the source's counts when the import starts. Keys written to the source during the import may
    /// or may not be copied; a key deleted before its value is read is skipped.
    /// </remarks>
    /// <exception cref="Cairn.Core.LimitExceededException">A key or value is over the target's limits.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static ImportResult Import(FlatFsEngine source, IKvEngine target, IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ct.ThrowIfCancellationRequested();

        var stats = source.GetStats();
        long keys = 0, bytes = 0;
        var batches = 0;
        progress?.Report(new ImportProgress(0, 0, stats.Keys, stats.LiveBytes));

        var batch = new WriteBatch();
        long pendingKeys = 0, pendingBytes = 0;
        void Commit()
        {
            if (batch.Count == 0)
            {
                return;
            }

            target.Write(batch);
            batches++;
            keys += pendingKeys;
            bytes += pendingBytes;
            pendingKeys = pendingBytes = 0;
            batch.Clear();
            progress?.Report(new ImportProgress(keys, bytes, stats.Keys, stats.LiveBytes));
        }

        byte[]? after = null;
        do
        {
            var page = source.Scan(KeyRange.All, after, PageSize, keysOnly: true);
            foreach (var entry in page.Entries)
            {
                ct.ThrowIfCancellationRequested();
                var value = source.Get(entry.Key);
                if (value is null)
                {
                    continue; // deleted since the page was listed
                }

                var size = (long)entry.Key.Length + value.Length;
                if (batch.Count > 0 && (batch.Count >= MaxBatchOperations || batch.ByteSize + size > MaxBatchBytes))
                {
                    Commit();
                }

                batch.Put(entry.Key, value);
                pendingKeys++;
                pendingBytes += size;
            }

            after = page.Next;
        }
        while (after is not null);

        ct.ThrowIfCancellationRequested();
        Commit();
        return new ImportResult(keys, bytes, batches);
    }
}

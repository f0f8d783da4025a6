namespace Cairn.Storage.LogStore;

/// <summary>
/// Syncs a store on a timer, for <see cref="SyncPolicy.Periodic"/> — Redis's <c>appendfsync everysec</c>. Writes
/// return once the kernel has them (so they survive the process being killed) and this thread makes them durable
/// within one interval. The first failed fsync is kept and handed to the store, which then refuses writes: after a
/// failed fsync the kernel may have dropped dirty pages, so the store can no longer say what is on disk.
/// </summary>
internal sealed class PeriodicSyncer : IDisposable
{
    private readonly Func<ulong> _syncWritten;
    private readonly Func<ulong> _writtenSeq;
    private readonly Action<Exception> _onFailure;
    private readonly TimeSpan _interval;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private ulong _synced;

    /// <param name="syncWritten">Makes everything written so far durable and returns the last sequence number it covers.</param>
    /// <param name="writtenSeq">The last sequence number written, so an idle store is not synced.</param>
    /// <param name="onFailure">Told of a failed sync; the syncer stops after it.</param>
    /// <param name="interval">How long written data may stay unsynced.</param>
    /// <param name="name">The thread's name.</param>
    public PeriodicSyncer(Func<ulong> syncWritten, Func<ulong> writtenSeq, Action<Exception> onFailure, TimeSpan interval, string name)
    {
        _syncWritten = syncWritten;
        _writtenSeq = writtenSeq;
        _onFailure = onFailure;
        _interval = interval;
        _synced = writtenSeq();
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>How many fsyncs the syncer has made.</summary>
    public long Syncs { get; private set; }

    /// <summary>Stops the timer; the store's own close syncs what is left.</summary>
    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.Wait(_interval))
        {
            if (_writtenSeq() <= _synced)
            {
                continue; // idle: nothing to make durable
            }

            try
            {
                _synced = _syncWritten();
                Syncs++;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
            {
                _onFailure(e);
                return;
            }
        }
    }
}

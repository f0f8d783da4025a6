namespace Cairn.Storage.LogStore;

/// <summary>
/// Shares fsyncs among concurrent writers. Writers append, then wait for a sequence number; one committer thread
/// repeatedly syncs everything appended so far and releases every writer it covered. While one fsync runs, the
/// next batch of writers gathers, so the fsync rate stays at what the disk allows however many writers there are.
/// </summary>
internal sealed class GroupCommitter : IDisposable
{
    private readonly object _gate = new(); // Monitor.Wait needs a monitor, not a System.Threading.Lock
    private readonly Func<ulong> _syncWritten;
    private readonly Thread _thread;
    private readonly List<(ulong Seq, TaskCompletionSource Done)> _asyncWaiters = [];
    private ulong _requested;
    private ulong _durable;
    private Exception? _failure;
    private bool _stopping;
    private bool _stopped;

    /// <param name="syncWritten">Makes everything written so far durable and returns the last sequence number it covers.</param>
    /// <param name="name">The committer thread's name.</param>
    public GroupCommitter(Func<ulong> syncWritten, string name)
    {
        _syncWritten = syncWritten;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>How many fsyncs the committer has made.</summary>
    public long Syncs { get; private set; }

    /// <summary>Blocks until <paramref name="seq"/> is durable.</summary>
    public void Wait(ulong seq)
    {
        lock (_gate)
        {
            Request(seq);
            while (_durable < seq)
            {
                ThrowIfFailed();
                ThrowIfStopped();
                Monitor.Wait(_gate);
            }
        }
    }

    /// <summary>Completes when <paramref name="seq"/> is durable.</summary>
    public ValueTask WaitAsync(ulong seq)
    {
        lock (_gate)
        {
            if (_durable >= seq)
            {
                return ValueTask.CompletedTask;
            }

            ThrowIfFailed();
            ThrowIfStopped();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _asyncWaiters.Add((seq, done));
            Request(seq);
            return new ValueTask(done.Task);
        }
    }

    /// <summary>Stops the committer after it has synced what was requested.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        _thread.Join();
    }

    private void Request(ulong seq)
    {
        if (seq > _requested)
        {
            _requested = seq;
            Monitor.PulseAll(_gate);
        }
    }

    private void ThrowIfStopped()
    {
        if (_stopped)
        {
            // The store closed between this write's append and its wait; closing syncs, but this writer cannot know.
            throw new ObjectDisposedException("LogStore", "The store closed before this write was confirmed durable.");
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            throw new IOException("An earlier fsync failed, so this store can no longer promise durability; reopen it.", _failure);
        }
    }

    private void Run()
    {
        while (true)
        {
            lock (_gate)
            {
                while (_requested <= _durable && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (_requested <= _durable || _failure is not null)
                {
                    // Stopping with nothing left to sync, or failed for good: wake anyone who came too late.
                    _stopped = true;
                    Monitor.PulseAll(_gate);
                    return;
                }
            }

            ulong covered = 0;
            Exception? failure = null;
            try
            {
                covered = _syncWritten();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
            {
                failure = e;
            }

            lock (_gate)
            {
                Syncs++;
                if (failure is not null)
                {
                    // After a failed fsync the kernel may have dropped the dirty pages: nothing pending is durable.
                    _failure = failure;
                    foreach (var (_, done) in _asyncWaiters)
                    {
                        done.TrySetException(new IOException("fsync failed; the write is not durable.", failure));
                    }

                    _asyncWaiters.Clear();
                }
                else
                {
                    _durable = Math.Max(_durable, covered);
                    _asyncWaiters.RemoveAll(w =>
                    {
                        if (w.Seq > _durable)
                        {
                            return false;
                        }

                        w.Done.TrySetResult();
                        return true;
                    });
                }

                Monitor.PulseAll(_gate);
            }
        }
    }
}

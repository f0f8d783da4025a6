namespace Cairn.Kv.Replication;

/// <summary>
/// Numbers the replicated operations of one node (writes proposed, reads waiting for a leadership check) and tells
/// a connection when everything it depends on is done. A token is an operation's number; waiting for token T waits
/// until every operation numbered T or lower is done, so a connection that notes only its highest token still
/// waits for all of its own. Operations of different groups finish out of order; the wait is for the low watermark.
/// </summary>
internal sealed class CompletionTracker
{
    /// <summary>How many failed operation numbers are remembered for <see cref="WaitAsync"/> to report.</summary>
    private const int MaxRememberedFailures = 100_000;

    private readonly Lock _lock = new();
    private readonly HashSet<ulong> _doneAhead = [];
    private readonly SortedSet<ulong> _failed = [];
    private readonly PriorityQueue<Waiter, ulong> _waiters = new();
    private ulong _issued;
    private ulong _watermark;

    /// <summary>Every operation numbered this or lower is done.</summary>
    public ulong Watermark
    {
        get
        {
            lock (_lock)
            {
                return _watermark;
            }
        }
    }

    /// <summary>Numbers a new operation; the caller must <see cref="Complete"/> it, whatever happens.</summary>
    public ulong Issue()
    {
        lock (_lock)
        {
            return ++_issued;
        }
    }

    /// <summary>Records that operation <paramref name="token"/> is done; <paramref name="failed"/> when it did not take effect (or may not have).</summary>
    public void Complete(ulong token, bool failed)
    {
        List<Waiter>? ready = null;
        lock (_lock)
        {
            if (failed)
            {
                _failed.Add(token);
                if (_failed.Count > MaxRememberedFailures)
                {
                    _failed.Remove(_failed.Min);
                }
            }

            if (token != _watermark + 1)
            {
                _doneAhead.Add(token);
                return;
            }

            _watermark = token;
            while (_doneAhead.Remove(_watermark + 1))
            {
                _watermark++;
            }

            while (_waiters.TryPeek(out _, out var last) && last <= _watermark)
            {
                (ready ??= []).Add(_waiters.Dequeue());
            }
        }

        if (ready is not null)
        {
            foreach (var waiter in ready)
            {
                waiter.Release(this);
            }
        }
    }

    /// <summary>
    /// Completes when every operation numbered <paramref name="last"/> or lower is done; throws when one numbered
    /// from <paramref name="first"/> to <paramref name="last"/> failed (the caller's own operations lie in that range).
    /// </summary>
    /// <exception cref="ReplicationFailedException">An operation in the range did not take effect, or may not have.</exception>
    public ValueTask WaitAsync(ulong first, ulong last, CancellationToken cancellationToken)
    {
        if (last == 0)
        {
            return ValueTask.CompletedTask;
        }

        Waiter waiter;
        lock (_lock)
        {
            if (last <= _watermark)
            {
                return HasFailure(first, last) ? ValueTask.FromException(new ReplicationFailedException()) : ValueTask.CompletedTask;
            }

            waiter = new Waiter(first, last, cancellationToken);
            _waiters.Enqueue(waiter, last);
        }

        return new ValueTask(waiter.Done.Task);
    }

    private bool HasFailure(ulong first, ulong last) =>
        _failed.Count > 0 && _failed.GetViewBetween(Math.Max(first, 1), last).Count > 0;

    private sealed class Waiter
    {
        private readonly ulong _first;
        private readonly ulong _last;

        public Waiter(ulong first, ulong last, CancellationToken cancellationToken)
        {
            _first = first;
            _last = last;
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() => Done.TrySetCanceled(cancellationToken));
            }
        }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release(CompletionTracker tracker)
        {
            bool failed;
            lock (tracker._lock)
            {
                failed = tracker.HasFailure(_first, _last);
            }

            if (failed)
            {
                Done.TrySetException(new ReplicationFailedException());
            }
            else
            {
                Done.TrySetResult();
            }
        }
    }
}

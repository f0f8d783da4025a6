using Cairn.Raft.Hosting;

namespace Cairn.Kv.Replication;

/// <summary>
/// Makes a leader's reads linearizable in batches. A read runs against the leader's state at once, then joins the
/// next leadership check (a ReadIndex round) that starts after it; its reply waits for that check. If the node was
/// still the leader when the check began, no other leader can have committed a write the read missed (a quorum
/// acknowledged this leader's term after the read). One round is in flight at a time; reads that arrive meanwhile
/// share the round after it, so a busy group checks its leadership once per round trip, not once per read.
/// </summary>
internal sealed class ReadBarrier
{
    private readonly RaftHost _host;
    private readonly ulong _groupId;
    private readonly CompletionTracker _tracker;
    private readonly Lock _lock = new();
    private ulong _next;
    private bool _inFlight;

    public ReadBarrier(RaftHost host, ulong groupId, CompletionTracker tracker)
    {
        _host = host;
        _groupId = groupId;
        _tracker = tracker;
    }

    /// <summary>Joins the next round, which starts no earlier than now; returns its token.</summary>
    public ulong Join()
    {
        lock (_lock)
        {
            if (_next != 0)
            {
                return _next;
            }

            _next = _tracker.Issue();
            var token = _next;
            if (!_inFlight)
            {
                StartLocked();
            }

            return token;
        }
    }

    private void StartLocked()
    {
        var token = _next;
        _next = 0;
        _inFlight = true;
        _host.ReadIndexAsync(_groupId).ContinueWith(
            static (task, state) =>
            {
                var (barrier, token) = ((ReadBarrier, ulong))state!;
                barrier.Finished(task, token);
            },
            (this, token),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Finished(Task<ulong> task, ulong token)
    {
        _tracker.Complete(token, failed: !task.IsCompletedSuccessfully);
        lock (_lock)
        {
            _inFlight = false;
            if (_next != 0)
            {
                StartLocked();
            }
        }
    }
}

using Cairn.Kv.Keyspace;
using Cairn.Kv.Replication;

namespace Cairn.Kv.Tests.Replication;

public sealed class CompletionTrackerTests
{
    [Fact]
    public async Task A_wait_ends_only_when_every_lower_operation_is_done()
    {
        var tracker = new CompletionTracker();
        var a = tracker.Issue();
        var b = tracker.Issue();
        var c = tracker.Issue();
        var wait = tracker.WaitAsync(c, c, CancellationToken.None).AsTask();
        tracker.Complete(c, failed: false);
        tracker.Complete(a, failed: false);
        Assert.False(wait.IsCompleted); // b is still in flight
        tracker.Complete(b, failed: false);
        await wait;
        Assert.Equal(c, tracker.Watermark);
    }

    [Fact]
    public async Task A_failure_in_the_callers_range_fails_its_wait_and_no_other()
    {
        var tracker = new CompletionTracker();
        var mine = tracker.Issue();
        var theirs = tracker.Issue();
        var later = tracker.Issue();
        tracker.Complete(mine, failed: true);
        tracker.Complete(theirs, failed: false);
        tracker.Complete(later, failed: false);
        await Assert.ThrowsAsync<ReplicationFailedException>(() => tracker.WaitAsync(mine, mine, CancellationToken.None).AsTask());
        await tracker.WaitAsync(theirs, later, CancellationToken.None); // their range does not hold the failure
    }

    [Fact]
    public void Merged_prefix_pages_stop_where_an_unfinished_group_stopped()
    {
        static PrefixScanEntry E(string key) => new(System.Text.Encoding.UTF8.GetBytes(key), 1, null);
        var a = new PrefixScanPage([E("a1"), E("a3")], "a3"u8.ToArray()); // more after a3 in this group
        var b = new PrefixScanPage([E("a2"), E("a4"), E("a5")], null);
        var merged = ReplicatedKvBackend.Merge([a, b], count: 10);
        Assert.Equal(["a1", "a2", "a3"], merged.Entries.Select(e => System.Text.Encoding.UTF8.GetString(e.Key)));
        Assert.Equal("a3"u8.ToArray(), merged.ResumeAfter);

        var done = ReplicatedKvBackend.Merge([new PrefixScanPage([E("x")], null), b], count: 2);
        Assert.Equal(["a2", "a4"], done.Entries.Select(e => System.Text.Encoding.UTF8.GetString(e.Key)));
        Assert.Equal("a4"u8.ToArray(), done.ResumeAfter);
    }
}

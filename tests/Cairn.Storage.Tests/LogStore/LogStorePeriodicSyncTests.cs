using System.Text;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Testing;

namespace Cairn.Storage.Tests.LogStore;

/// <summary><see cref="SyncPolicy.Periodic"/>: writes return unsynced and a timer makes them durable.</summary>
public sealed class LogStorePeriodicSyncTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static LogStoreOptions Options(FaultInjectingFileSystem fs) => new()
    {
        FileSystem = fs,
        Sync = SyncPolicy.Periodic,
        SyncInterval = TimeSpan.FromMilliseconds(20),
        BackgroundCompaction = false,
    };

    [Fact]
    public void Writes_return_before_any_fsync_and_survive_a_power_loss_once_the_timer_synced_them()
    {
        var fs = new FaultInjectingFileSystem(21);
        var store = Cairn.Storage.LogStore.LogStore.Open("/s", Options(fs));
        var syncsBefore = fs.FileSyncs;
        for (var i = 0; i < 200; i++)
        {
            store.Put(B($"/k{i:D3}"), B($"v{i}"));
        }

        // The writes did not wait for fsyncs of their own: at most the timer's few ran meanwhile.
        Assert.True(fs.FileSyncs - syncsBefore < 200, $"{fs.FileSyncs - syncsBefore} fsyncs for 200 writes");

        // A sync may have been under way as the last write landed; if it missed that write, the next tick (20 ms
        // later) syncs again, so one sync after the writes plus a generous wait covers them all.
        var afterWrites = fs.FileSyncs;
        WaitUntil(() => fs.FileSyncs > afterWrites);
        Thread.Sleep(300);
        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(store);
        using var reopened = Cairn.Storage.LogStore.LogStore.Open("/s", Options(fs));
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal($"v{i}", Encoding.UTF8.GetString(reopened.Get(B($"/k{i:D3}"))!));
        }
    }

    [Fact]
    public void An_idle_store_is_not_synced()
    {
        var fs = new FaultInjectingFileSystem(22);
        using var store = Cairn.Storage.LogStore.LogStore.Open("/s", Options(fs));
        store.Put(B("/k"), B("v"));
        WaitUntil(() => fs.FileSyncs > 0);
        Thread.Sleep(100); // let the timer catch up with the single write
        var settled = fs.FileSyncs;
        Thread.Sleep(200); // ten intervals with nothing written
        Assert.Equal(settled, fs.FileSyncs);
    }

    [Fact]
    public void A_failed_periodic_fsync_stops_all_further_writes_with_an_error()
    {
        var fs = new FaultInjectingFileSystem(23);
        using var store = Cairn.Storage.LogStore.LogStore.Open("/s", Options(fs));
        store.Put(B("/k"), B("v")); // creates (and syncs) the segment
        fs.FailSync = path => path.EndsWith(".log", StringComparison.Ordinal);
        store.Put(B("/k1"), B("v1")); // accepted: the kernel has it, the fsync comes later and fails
        IOException? refused = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (refused is null && DateTime.UtcNow < deadline)
        {
            try
            {
                store.Put(B("/k2"), B("v2"));
                Thread.Sleep(5);
            }
            catch (IOException e)
            {
                refused = e;
            }
        }

        Assert.NotNull(refused);
        Assert.Contains("unable to take writes", refused.Message, StringComparison.Ordinal);
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the periodic sync");
            Thread.Sleep(5);
        }
    }
}

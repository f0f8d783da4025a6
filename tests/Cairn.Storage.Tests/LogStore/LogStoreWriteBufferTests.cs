using System.Text;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Testing;

namespace Cairn.Storage.Tests.LogStore;

/// <summary>Deferred writes gather in a write buffer and reach the file in one write.</summary>
public sealed class LogStoreWriteBufferTests
{
    private const string Segment = "/s/0000000001.log";

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static LogStoreOptions Options(FaultInjectingFileSystem fs, SyncPolicy sync = SyncPolicy.None) =>
        new() { FileSystem = fs, Sync = sync, BackgroundCompaction = false, ReadCacheBytes = 0 };

    [Fact]
    public async Task Deferred_writes_stay_buffered_until_waited_for_or_read()
    {
        var fs = new FaultInjectingFileSystem(31);
        using var store = Cairn.Storage.LogStore.LogStore.Open("/s", Options(fs));
        store.Put(B("/first"), B("direct")); // a synchronous write goes straight to the file
        var afterFirst = fs.LengthOf(Segment);

        for (var i = 0; i < 10; i++)
        {
            store.PutDeferred(B($"/k{i}"), B($"v{i}"));
        }

        Assert.Equal(afterFirst, fs.LengthOf(Segment)); // all ten still in memory
        Assert.Equal("v3", Encoding.UTF8.GetString(store.Get(B("/k3"))!)); // reading one writes them all out
        var afterRead = fs.LengthOf(Segment);
        Assert.True(afterRead > afterFirst);

        var token = store.PutDeferred(B("/late"), B("x"));
        Assert.True(store.DeleteDeferred(B("/k0"), out var existed) > token);
        Assert.True(existed);
        Assert.Equal(afterRead, fs.LengthOf(Segment));
        await store.WhenDurableAsync(token); // waiting for one writes out everything buffered
        Assert.True(fs.LengthOf(Segment) > afterRead);
        Assert.Null(store.Get(B("/k0")));
    }

    [Fact]
    public void Every_record_reads_back_where_the_index_says_after_flushes_that_end_with_a_seal()
    {
        // Regression: a flush of a full buffer ends with a seal, which moves the end of the segment; a frame placed
        // after that flush was indexed at the old end, 13 bytes early, and read back as corrupt.
        var fs = new FaultInjectingFileSystem(33);
        var options = Options(fs) with { WriteBufferBytes = 4096 };
        var expected = new Dictionary<string, byte[]>();
        using (var store = Cairn.Storage.LogStore.LogStore.Open("/s", options))
        {
            var random = new Random(7);
            for (var i = 0; i < 400; i++)
            {
                var key = $"/k{i:D3}";
                var value = new byte[random.Next(1, 1500)];
                random.NextBytes(value);
                expected[key] = value;
                if (i % 7 == 0)
                {
                    store.Put(B(key), value); // a direct write flushes the buffer first
                }
                else
                {
                    store.PutDeferred(B(key), value);
                }

                if (i % 5 == 0)
                {
                    var check = $"/k{random.Next(i + 1):D3}";
                    Assert.Equal(expected[check], store.Get(B(check)));
                }
            }

            foreach (var (key, value) in expected)
            {
                Assert.Equal(value, store.Get(B(key)));
            }
        }

        fs.Restart();
        using var reopened = Cairn.Storage.LogStore.LogStore.Open("/s", options);
        foreach (var (key, value) in expected)
        {
            Assert.Equal(value, reopened.Get(B(key)));
        }
    }

    [Fact]
    public void A_full_buffer_is_written_out_and_a_frame_bigger_than_the_buffer_goes_straight_to_the_file()
    {
        var fs = new FaultInjectingFileSystem(32);
        var options = Options(fs) with { WriteBufferBytes = 4096 };
        using (var store = Cairn.Storage.LogStore.LogStore.Open("/s", options))
        {
            for (var i = 0; i < 100; i++)
            {
                store.PutDeferred(B($"/k{i:D3}"), new byte[100]); // ~30 frames fill 4 KiB
            }

            Assert.True(fs.LengthOf(Segment) > 3 * 4096 / 2, "full buffers were written out along the way");
            store.PutDeferred(B("/big"), new byte[10_000]);
            Assert.Equal(10_000, store.GetSize(B("/big")));
        }

        using var reopened = Cairn.Storage.LogStore.LogStore.Open("/s", options);
        Assert.Equal(101, reopened.GetStats().Keys); // closing wrote out the rest
        Assert.Equal(10_000, reopened.Get(B("/big"))!.Length);
    }

    [Fact]
    public async Task A_failed_buffer_write_fails_its_waiters_and_stops_all_further_writes()
    {
        var fs = new FaultInjectingFileSystem(33);
        var store = Cairn.Storage.LogStore.LogStore.Open("/s", Options(fs, SyncPolicy.GroupCommit));
        store.Put(B("/before"), B("kept"));
        fs.CapacityBytes = fs.AllFiles().Sum(fs.LengthOf) + 10; // room for no frame at all
        var token = store.PutDeferred(B("/lost"), new byte[100]);

        var error = await Assert.ThrowsAsync<IOException>(() => store.WhenDurableAsync(token).AsTask());
        Assert.Contains("No space left", error.ToString(), StringComparison.Ordinal);
        fs.CapacityBytes = null; // freeing space does not bring back what the buffer lost
        var refused = Assert.Throws<IOException>(() => store.Put(B("/after"), B("x")));
        Assert.Contains("reopen it", refused.Message, StringComparison.Ordinal);

        fs.RestartAfter(store);
        using var reopened = Cairn.Storage.LogStore.LogStore.Open("/s", Options(fs, SyncPolicy.GroupCommit));
        Assert.Equal("kept", Encoding.UTF8.GetString(reopened.Get(B("/before"))!));
        Assert.Null(reopened.Get(B("/lost")));
        reopened.Put(B("/after"), B("x"));
    }
}

using Cairn.Client.Datastore;
using Cairn.Storage.Memory;
using Cairn.Testing;

namespace Cairn.Client.Tests;

/// <summary>The datastore conformance suite, run against <see cref="LocalDatastore"/> over a memory engine.</summary>
public sealed class LocalDatastoreOverMemoryTests : DatastoreConformance
{
    protected override Task<IDatastore> OpenAsync() =>
        Task.FromResult<IDatastore>(new LocalDatastore(new MemoryEngine(), ownsEngine: true));

    [Fact]
    public async Task Keys_are_stored_under_the_utf8_bytes_of_the_clean_key_string()
    {
        using var engine = new MemoryEngine();
        await using var ds = new LocalDatastore(engine);
        await ds.PutAsync(new Key("a//\u00E9/"), B("v"));
        Assert.Equal(B("v"), engine.Get(B("/a/\u00E9")));
        engine.Put(B("/direct"), B("w"));
        Assert.Equal(B("w"), await ds.GetAsync(new Key("direct")));
    }

    [Fact]
    public async Task A_key_with_a_lone_surrogate_is_refused_rather_than_mangled()
    {
        await using var ds = new LocalDatastore(new MemoryEngine(), ownsEngine: true);
        await Assert.ThrowsAsync<ArgumentException>(() => ds.PutAsync(new Key("/bad\uD800"), B("v")));
    }

    [Fact]
    public async Task A_batch_is_atomic_here_a_refused_operation_writes_nothing()
    {
        await using var ds = new LocalDatastore(new MemoryEngine(maxValueSize: 8), ownsEngine: true);
        var batch = await ds.BatchAsync();
        await batch.PutAsync(new Key("/ok"), B("1"));
        await batch.PutAsync(new Key("/big"), new byte[9]);
        await Assert.ThrowsAsync<Cairn.Core.LimitExceededException>(() => batch.CommitAsync());
        Assert.False(await ds.HasAsync(new Key("/ok")));
    }

    [Fact]
    public async Task Disposing_an_owning_datastore_disposes_the_engine_and_refuses_use()
    {
        var engine = new MemoryEngine();
        var ds = new LocalDatastore(engine, ownsEngine: true);
        await ds.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => engine.Get(B("/a")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ds.GetAsync(new Key("/a")));
        Assert.Throws<ObjectDisposedException>(() => ds.QueryAsync(new Query()));
    }

    [Fact]
    public async Task Disposing_a_borrowing_datastore_leaves_the_engine_open()
    {
        using var engine = new MemoryEngine();
        var ds = new LocalDatastore(engine);
        await ds.PutAsync(new Key("/a"), B("1"));
        await ds.DisposeAsync();
        Assert.Equal(B("1"), engine.Get(B("/a")));
    }

    [Fact]
    public async Task A_key_ordered_query_with_a_limit_streams_across_pages()
    {
        await using var ds = new LocalDatastore(new MemoryEngine(), ownsEngine: true);
        for (var i = 0; i < 1000; i++)
        {
            await ds.PutAsync(new Key($"/p/{i:D4}"), B($"{i}"));
        }

        var found = new List<string>();
        await foreach (var entry in ds.QueryAsync(new Query { Prefix = "/p", Orders = [OrderByKey.Instance], Offset = 250, Limit = 300 }))
        {
            found.Add(entry.Key);
        }

        Assert.Equal(Enumerable.Range(250, 300).Select(i => $"/p/{i:D4}"), found);
    }
}

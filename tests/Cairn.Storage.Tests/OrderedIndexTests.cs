using Cairn.Storage;

namespace Cairn.Storage.Tests;

public class OrderedIndexTests
{
    [Fact]
    public void Random_operations_agree_with_a_sorted_dictionary()
    {
        var random = new Random(42);
        var index = new OrderedIndex<int>();
        var model = new SortedDictionary<byte[], int>(ByteKeyComparer.Instance);
        for (var step = 0; step < 50_000; step++)
        {
            var key = new byte[random.Next(1, 4)];
            random.NextBytes(key);
            if (random.Next(3) == 0)
            {
                Assert.Equal(model.Remove(key), index.Remove(key, out _));
            }
            else
            {
                Assert.Equal(model.ContainsKey(key), index.Set(key, step, out _));
                model[key] = step;
            }
        }

        Assert.Equal(model.Count, index.Count);
        Assert.Equal(model.Select(p => (p.Key, p.Value)), index.Entries());
        foreach (var (key, value) in model)
        {
            Assert.True(index.TryGetValue(key, out var found));
            Assert.Equal(value, found);
        }
    }

    [Fact]
    public void Range_copies_resume_after_the_cursor()
    {
        var sorted = Enumerable.Range(0, 1000).Select(i => (System.Text.Encoding.ASCII.GetBytes($"k{i:D4}"), i)).ToList();
        var index = OrderedIndex<int>.FromSorted(sorted);
        var collected = new List<(byte[] Key, int Value)>();
        byte[]? after = null;
        while (true)
        {
            var page = new List<(byte[] Key, int Value)>();
            var more = index.CopyRange(KeyRange.Between("k0100"u8, "k0900"u8), after, 33, page);
            collected.AddRange(page);
            if (!more)
            {
                break;
            }

            after = page[^1].Key;
        }

        Assert.Equal(Enumerable.Range(100, 800), collected.Select(c => c.Value));
    }
}

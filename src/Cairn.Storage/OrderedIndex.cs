using System.Diagnostics;

namespace Cairn.Storage;

/// <summary>
/// A sorted map from byte-string keys to <typeparamref name="TValue"/>, kept as an ordered list of small sorted
/// leaves: a two-level B+tree. It is compact (a key costs its array, one reference and one value, plus leaf
/// slack) and seeks in O(log n), which is what an engine's in-memory index needs. Not thread-safe: callers lock.
/// </summary>
internal sealed class OrderedIndex<TValue>
{
    /// <summary>Keys per leaf before it splits.</summary>
    internal const int LeafCapacity = 128;

    private readonly List<Leaf> _leaves = [];

    /// <summary>How many keys the index holds.</summary>
    public int Count { get; private set; }

    /// <summary>How many leaves the index holds (for memory estimates).</summary>
    public int LeafCount => _leaves.Count;

    /// <summary>
    /// Builds an index from entries already sorted by key with no duplicates, filling leaves to
    /// <paramref name="fill"/> so that later inserts do not split every leaf at once.
    /// </summary>
    public static OrderedIndex<TValue> FromSorted(IReadOnlyList<(byte[] Key, TValue Value)> sorted, double fill = 0.875)
    {
        var index = new OrderedIndex<TValue>();
        var perLeaf = Math.Max(1, (int)(LeafCapacity * fill));
        for (var start = 0; start < sorted.Count; start += perLeaf)
        {
            var leaf = new Leaf();
            var end = Math.Min(sorted.Count, start + perLeaf);
            for (var i = start; i < end; i++)
            {
                Debug.Assert(i == start || ByteKeyComparer.Instance.Compare(sorted[i - 1].Key, sorted[i].Key) < 0, "input must be sorted and unique");
                leaf.Keys[leaf.Count] = sorted[i].Key;
                leaf.Values[leaf.Count] = sorted[i].Value;
                leaf.Count++;
            }

            index._leaves.Add(leaf);
        }

        index.Count = sorted.Count;
        return index;
    }

    /// <summary>Looks up <paramref name="key"/>.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, out TValue value)
    {
        var leafIndex = FindLeaf(key);
        if (leafIndex >= 0)
        {
            var leaf = _leaves[leafIndex];
            var slot = leaf.Search(key);
            if (slot >= 0)
            {
                value = leaf.Values[slot];
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    /// <param name="key">The key; the index keeps this array, so the caller must not change it.</param>
    /// <param name="value">The value.</param>
    /// <param name="previous">The value replaced, when there was one.</param>
    /// <returns>Whether a value was replaced.</returns>
    public bool Set(byte[] key, TValue value, out TValue previous)
    {
        if (_leaves.Count == 0)
        {
            var first = new Leaf();
            first.Insert(0, key, value);
            _leaves.Add(first);
            Count = 1;
            previous = default!;
            return false;
        }

        var leafIndex = Math.Max(0, FindLeaf(key));
        var leaf = _leaves[leafIndex];
        var slot = leaf.Search(key);
        if (slot >= 0)
        {
            previous = leaf.Values[slot];
            leaf.Values[slot] = value;
            return true;
        }

        slot = ~slot;
        if (leaf.Count == LeafCapacity)
        {
            var right = leaf.SplitHalf();
            _leaves.Insert(leafIndex + 1, right);
            if (slot > leaf.Count)
            {
                slot -= leaf.Count;
                leaf = right;
            }
        }

        leaf.Insert(slot, key, value);
        Count++;
        previous = default!;
        return false;
    }

    /// <summary>
    /// Sets the value of <paramref name="key"/> when the key is present, without allocating, and hands back the
    /// key array the index keeps for it.
    /// </summary>
    /// <returns>Whether the key was present (and so updated).</returns>
    public bool TryUpdate(ReadOnlySpan<byte> key, TValue value, out TValue previous, out byte[] storedKey)
    {
        var leafIndex = FindLeaf(key);
        if (leafIndex >= 0)
        {
            var leaf = _leaves[leafIndex];
            var slot = leaf.Search(key);
            if (slot >= 0)
            {
                previous = leaf.Values[slot];
                storedKey = leaf.Keys[slot]!;
                leaf.Values[slot] = value;
                return true;
            }
        }

        previous = default!;
        storedKey = null!;
        return false;
    }

    /// <summary>Replaces the value of <paramref name="key"/> only when it is still <paramref name="expected"/>.</summary>
    /// <returns>Whether the value was replaced.</returns>
    public bool Replace(ReadOnlySpan<byte> key, TValue expected, TValue value, IEqualityComparer<TValue> comparer)
    {
        var leafIndex = FindLeaf(key);
        if (leafIndex < 0)
        {
            return false;
        }

        var leaf = _leaves[leafIndex];
        var slot = leaf.Search(key);
        if (slot < 0 || !comparer.Equals(leaf.Values[slot], expected))
        {
            return false;
        }

        leaf.Values[slot] = value;
        return true;
    }

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <returns>Whether the key was present.</returns>
    public bool Remove(ReadOnlySpan<byte> key, out TValue removed)
    {
        var leafIndex = FindLeaf(key);
        if (leafIndex >= 0)
        {
            var leaf = _leaves[leafIndex];
            var slot = leaf.Search(key);
            if (slot >= 0)
            {
                removed = leaf.Values[slot];
                leaf.RemoveAt(slot);
                if (leaf.Count == 0)
                {
                    _leaves.RemoveAt(leafIndex);
                }

                Count--;
                return true;
            }
        }

        removed = default!;
        return false;
    }

    /// <summary>Removes every key.</summary>
    public void Clear()
    {
        _leaves.Clear();
        Count = 0;
    }

    /// <summary>
    /// Copies up to <paramref name="limit"/> entries of <paramref name="range"/> in key order, starting after
    /// <paramref name="after"/> (exclusive) when it is set, into <paramref name="into"/>.
    /// </summary>
    /// <returns>Whether the range may hold more entries past those copied.</returns>
    public bool CopyRange(KeyRange range, byte[]? after, int limit, List<(byte[] Key, TValue Value)> into)
    {
        if (_leaves.Count == 0)
        {
            return false;
        }

        // Position at the first key >= start, then step past `after` if it lies at or beyond that.
        byte[]? from = range.Start;
        var exclusive = false;
        if (after is not null && (from is null || ByteKeyComparer.Instance.Compare(after, from) >= 0))
        {
            from = after;
            exclusive = true;
        }

        int leafIndex;
        int slot;
        if (from is null)
        {
            leafIndex = 0;
            slot = 0;
        }
        else
        {
            leafIndex = Math.Max(0, FindLeaf(from));
            slot = _leaves[leafIndex].Search(from);
            slot = slot >= 0 ? (exclusive ? slot + 1 : slot) : ~slot;
        }

        var copied = 0;
        for (; leafIndex < _leaves.Count; leafIndex++, slot = 0)
        {
            var leaf = _leaves[leafIndex];
            for (; slot < leaf.Count; slot++)
            {
                var key = leaf.Keys[slot]!;
                if (range.IsPastEnd(key))
                {
                    return false;
                }

                if (copied == limit)
                {
                    return true;
                }

                into.Add((key, leaf.Values[slot]));
                copied++;
            }
        }

        return false;
    }

    /// <summary>Every entry in key order. The index must not change while this is enumerated.</summary>
    public IEnumerable<(byte[] Key, TValue Value)> Entries()
    {
        foreach (var leaf in _leaves)
        {
            for (var i = 0; i < leaf.Count; i++)
            {
                yield return (leaf.Keys[i]!, leaf.Values[i]);
            }
        }
    }

    /// <summary>The index of the leaf that holds or would hold <paramref name="key"/>, or -1 when the index is empty.</summary>
    private int FindLeaf(ReadOnlySpan<byte> key)
    {
        // The last leaf whose first key is <= key; the first leaf when key precedes them all.
        int lo = 0, hi = _leaves.Count - 1;
        if (hi < 0)
        {
            return -1;
        }

        while (lo < hi)
        {
            var mid = (lo + hi + 1) >>> 1;
            if (key.SequenceCompareTo(_leaves[mid].Keys[0]) >= 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    private sealed class Leaf
    {
        public byte[]?[] Keys = new byte[LeafCapacity][];
        public TValue[] Values = new TValue[LeafCapacity];
        public int Count;

        /// <summary>The slot of <paramref name="key"/>, or the complement of where it would be inserted.</summary>
        public int Search(ReadOnlySpan<byte> key)
        {
            int lo = 0, hi = Count - 1;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                var c = Keys[mid].AsSpan().SequenceCompareTo(key);
                if (c == 0)
                {
                    return mid;
                }

                if (c < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return ~lo;
        }

        public void Insert(int slot, byte[] key, TValue value)
        {
            Debug.Assert(Count < LeafCapacity, "a full leaf splits before an insert");
            Array.Copy(Keys, slot, Keys, slot + 1, Count - slot);
            Array.Copy(Values, slot, Values, slot + 1, Count - slot);
            Keys[slot] = key;
            Values[slot] = value;
            Count++;
        }

        public void RemoveAt(int slot)
        {
            Array.Copy(Keys, slot + 1, Keys, slot, Count - slot - 1);
            Array.Copy(Values, slot + 1, Values, slot, Count - slot - 1);
            Count--;
            Keys[Count] = null;
            Values[Count] = default!;
        }

        /// <summary>Moves the upper half of this leaf to a new leaf and returns it.</summary>
        public Leaf SplitHalf()
        {
            var right = new Leaf();
            var half = Count / 2;
            var moved = Count - half;
            Array.Copy(Keys, half, right.Keys, 0, moved);
            Array.Copy(Values, half, right.Values, 0, moved);
            Array.Clear(Keys, half, moved);
            Array.Clear(Values, half, moved);
            right.Count = moved;
            Count = half;
            return right;
        }
    }
}

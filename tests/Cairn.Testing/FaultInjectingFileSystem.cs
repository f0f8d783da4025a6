using Cairn.Storage.IO;

namespace Cairn.Testing;

/// <summary>How a simulated crash treats writes that no fsync covered.</summary>
public enum CrashMode
{
    /// <summary>Every unsynced write is lost.</summary>
    DropUnsynced,

    /// <summary>Unsynced writes persist in order up to a random point; the write at that point is torn.</summary>
    TornTail,

    /// <summary>Each unsynced write independently persists, is lost, or is torn (disks reorder writes).</summary>
    Chaos,
}

/// <summary>
/// An in-memory disk with POSIX durability rules and injectable faults, for crash-testing real engines. File
/// contents are durable after <see cref="IStorageFile.Sync"/>; creations, renames and removals are durable after
/// <see cref="IFileSystem.SyncDirectory"/>. <see cref="Crash"/> throws away what was not durable (as the
/// <see cref="CrashMode"/> says) and invalidates every open handle, as the death of the process would.
/// One seed drives every random choice, so a failing run replays exactly.
/// </summary>
public sealed class FaultInjectingFileSystem : IFileSystem
{
    private readonly object _gate = new();
    private readonly Random _random;
    private readonly HashSet<string> _locks = [];
    private Dictionary<string, FileNode> _files = new(StringComparer.Ordinal);
    private Dictionary<string, FileNode> _durableFiles = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private int _generation;
    private bool _down;
    private long _operationsUntilCrash = -1;
    private CrashMode _scheduledCrashMode;

    /// <summary>Creates an empty disk whose random choices come from <paramref name="seed"/>.</summary>
    public FaultInjectingFileSystem(int seed)
    {
        _random = new Random(seed);
    }

    /// <summary>When set, a write that would take the disk past this many bytes fails with "no space left".</summary>
    public long? CapacityBytes { get; set; }

    /// <summary>When set, deleting a path it accepts fails with an I/O error (a disk error, not a crash).</summary>
    public Func<string, bool>? FailDelete { get; set; }

    /// <summary>When set, syncing a file whose path it accepts fails with an I/O error (fsync's EIO, not a crash).</summary>
    public Func<string, bool>? FailSync { get; set; }

    /// <summary>How many file syncs have been made.</summary>
    public long FileSyncs { get; private set; }

    /// <summary>How many mutating operations (write, sync, create, rename, delete, truncate) have been made.</summary>
    public long MutatingOperations { get; private set; }

    /// <summary>When set, every mutating operation is recorded here (for replaying a failing seed by eye).</summary>
    public List<string>? Trace { get; set; }

    /// <summary>How many crashes have happened.</summary>
    public int Crashes { get; private set; }

    /// <summary>
    /// Crashes the disk just before the <paramref name="operations"/>-th following mutating operation (write,
    /// sync, create, rename, delete, truncate), which fails as the process dies.
    /// </summary>
    public void ScheduleCrash(long operations, CrashMode mode)
    {
        lock (_gate)
        {
            _operationsUntilCrash = operations;
            _scheduledCrashMode = mode;
        }
    }

    /// <summary>
    /// Simulates power loss: every handle becomes unusable, the namespace goes back to its durable state, and each
    /// file keeps its synced contents plus whatever of its unsynced writes <paramref name="mode"/> lets through.
    /// </summary>
    public void Crash(CrashMode mode)
    {
        lock (_gate)
        {
            CrashLocked(mode);
        }
    }

    /// <summary>
    /// Starts a new "process" after a crash: until then every operation fails, because the process that
    /// crashed is dead and must not touch the disk.
    /// </summary>
    public void Restart()
    {
        lock (_gate)
        {
            _down = false;
        }
    }

    /// <summary>
    /// Buries the process that crashed: lets <paramref name="crashed"/> (a store it had open) wind down, meeting
    /// only failing I/O, then <see cref="Restart"/>s so a new process can open the disk.
    /// </summary>
    public void RestartAfter(IDisposable crashed)
    {
        ArgumentNullException.ThrowIfNull(crashed);
        try
        {
            crashed.Dispose();
        }
        catch (IOException)
        {
            // Expected: the dead process cannot touch the disk.
        }

        Restart();
    }

    /// <summary>Flips one bit of a file, in its synced and current contents: corruption at rest.</summary>
    public void FlipBit(string path, long offset, int bit = 0)
    {
        lock (_gate)
        {
            var node = _files[path];
            node.Current[(int)offset] ^= (byte)(1 << bit);
            if (offset < node.Durable.Length)
            {
                node.Durable[(int)offset] ^= (byte)(1 << bit);
            }
        }
    }

    /// <summary>The current length of a file.</summary>
    public long LengthOf(string path)
    {
        lock (_gate)
        {
            return _files[path].Length;
        }
    }

    /// <summary>The paths of the files that exist now.</summary>
    public IReadOnlyList<string> AllFiles()
    {
        lock (_gate)
        {
            return [.. _files.Keys.Order(StringComparer.Ordinal)];
        }
    }

    /// <inheritdoc/>
    public IStorageFile Open(string path, bool create)
    {
        lock (_gate)
        {
            CheckUp();
            if (!_files.TryGetValue(path, out var node))
            {
                if (!create)
                {
                    throw new FileNotFoundException($"No file at {path}.", path);
                }

                Mutate(path: path);
                node = new FileNode();
                _files[path] = node;
            }

            return new SimulatedFile(this, node, path, _generation);
        }
    }

    /// <inheritdoc/>
    public bool FileExists(string path)
    {
        lock (_gate)
        {
            CheckUp();
            return _files.ContainsKey(path);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> ListFiles(string directory)
    {
        lock (_gate)
        {
            CheckUp();
            return [.. _files.Keys.Where(p => Path.GetDirectoryName(p) == directory).Select(p => Path.GetFileName(p))];
        }
    }

    /// <inheritdoc/>
    public void CreateDirectory(string directory)
    {
        lock (_gate)
        {
            CheckUp();
            _directories.Add(directory); // directories themselves are treated as durable
        }
    }

    /// <inheritdoc/>
    public bool DirectoryExists(string directory)
    {
        lock (_gate)
        {
            CheckUp();
            return _directories.Contains(directory);
        }
    }

    /// <inheritdoc/>
    public void Delete(string path)
    {
        lock (_gate)
        {
            CheckUp();
            if (FailDelete?.Invoke(path) == true)
            {
                throw new IOException($"Simulated I/O error deleting {path}.");
            }

            if (_files.ContainsKey(path))
            {
                Mutate(path: path);
                _files.Remove(path);
            }
        }
    }

    /// <inheritdoc/>
    public void Rename(string from, string to)
    {
        lock (_gate)
        {
            CheckUp();
            if (!_files.Remove(from, out var node))
            {
                throw new FileNotFoundException($"No file at {from}.", from);
            }

            _files[from] = node; // put back until the mutation is allowed
            Mutate(path: $"{from} -> {to}");
            _files.Remove(from);
            _files[to] = node;
        }
    }

    /// <inheritdoc/>
    public void SyncDirectory(string directory)
    {
        lock (_gate)
        {
            CheckUp();
            Mutate(path: directory);
            foreach (var path in _durableFiles.Keys.Where(p => Path.GetDirectoryName(p) == directory).ToList())
            {
                _durableFiles.Remove(path);
            }

            foreach (var (path, node) in _files.Where(f => Path.GetDirectoryName(f.Key) == directory))
            {
                _durableFiles[path] = node;
            }
        }
    }

    /// <inheritdoc/>
    public IDisposable LockExclusive(string path)
    {
        lock (_gate)
        {
            CheckUp();
            if (!_locks.Add(path))
            {
                throw new IOException($"{Path.GetDirectoryName(path)} is in use by another process (cannot lock {path}).");
            }

            return new DirectoryLock(this, path, _generation);
        }
    }

    private void CrashLocked(CrashMode mode)
    {
        Crashes++;
        _generation++;
        _down = true;
        _locks.Clear();
        _operationsUntilCrash = -1;
        var survivors = new Dictionary<string, FileNode>(StringComparer.Ordinal);
        foreach (var (path, node) in _durableFiles)
        {
            survivors[path] = node;
        }

        foreach (var node in survivors.Values.Distinct())
        {
            node.CrashTo(mode, _random);
        }

        _files = survivors;
        _durableFiles = new Dictionary<string, FileNode>(survivors, StringComparer.Ordinal);
    }

    /// <summary>Counts a mutating operation and crashes when the schedule says so.</summary>
    private void Mutate([System.Runtime.CompilerServices.CallerMemberName] string operation = "", string path = "")
    {
        MutatingOperations++;
        Trace?.Add($"{MutatingOperations}: {operation} {path}");
        if (_operationsUntilCrash < 0)
        {
            return;
        }

        if (_operationsUntilCrash-- == 0)
        {
            CrashLocked(_scheduledCrashMode);
            throw new IOException("Simulated crash: the process died during this operation.");
        }
    }

    private void CheckUp()
    {
        if (_down)
        {
            throw new IOException("Simulated crash: the process is dead until Restart().");
        }
    }

    private void CheckGeneration(int generation)
    {
        if (generation != _generation || _down)
        {
            throw new IOException("Simulated crash: this handle belongs to a process that died.");
        }
    }

    private long TotalBytes() => _files.Values.Distinct().Sum(f => (long)f.Length);

    private sealed class DirectoryLock(FaultInjectingFileSystem fs, string path, int generation) : IDisposable
    {
        public void Dispose()
        {
            lock (fs._gate)
            {
                if (generation == fs._generation)
                {
                    fs._locks.Remove(path);
                }
            }
        }
    }

    private sealed class FileNode
    {
        public byte[] Current = [];
        public int Length;
        public byte[] Durable = [];
        public List<(long Offset, byte[] Data)> Pending = [];

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
            var end = (int)(offset + data.Length);
            if (end > Current.Length)
            {
                Array.Resize(ref Current, Math.Max(end, Current.Length * 2));
            }

            data.CopyTo(Current.AsSpan((int)offset));
            Length = Math.Max(Length, end);
            Pending.Add((offset, data.ToArray()));
        }

        public void Truncate(long length)
        {
            if (length > Current.Length)
            {
                Array.Resize(ref Current, (int)length);
            }

            Current.AsSpan((int)length).Clear();
            Length = (int)length;

            // Truncation is treated as durable at once: it only ever removes data the engine has given up on.
            if (Durable.Length > length)
            {
                Array.Resize(ref Durable, (int)length);
            }

            Pending = [.. Pending.Where(p => p.Offset < length).Select(p => (p.Offset, p.Data.AsSpan(0, (int)Math.Min(p.Data.Length, length - p.Offset)).ToArray()))];
        }

        public void Sync()
        {
            Durable = Current.AsSpan(0, Length).ToArray();
            Pending.Clear();
        }

        public void CrashTo(CrashMode mode, Random random)
        {
            var image = new List<byte>(Durable);
            var keep = mode == CrashMode.TornTail ? random.Next(Pending.Count + 1) : Pending.Count;
            for (var i = 0; i < Pending.Count && mode != CrashMode.DropUnsynced; i++)
            {
                var (offset, data) = Pending[i];
                int length;
                if (mode == CrashMode.TornTail)
                {
                    if (i > keep)
                    {
                        break;
                    }

                    length = i == keep ? random.Next(data.Length + 1) : data.Length;
                }
                else
                {
                    length = random.Next(3) switch { 0 => 0, 1 => data.Length, _ => random.Next(data.Length + 1) };
                }

                if (length == 0)
                {
                    continue;
                }

                while (image.Count < offset + length)
                {
                    image.Add(0); // a hole the disk never filled reads as zeros
                }

                for (var j = 0; j < length; j++)
                {
                    image[(int)offset + j] = data[j];
                }
            }

            Durable = [.. image];
            Current = [.. image];
            Length = image.Count;
            Pending = [];
        }
    }

    private sealed class SimulatedFile(FaultInjectingFileSystem fs, FileNode node, string path, int generation) : IStorageFile
    {
        public string Path => path;

        public long Length
        {
            get
            {
                lock (fs._gate)
                {
                    fs.CheckGeneration(generation);
                    return node.Length;
                }
            }
        }

        public int Read(long offset, Span<byte> buffer)
        {
            lock (fs._gate)
            {
                fs.CheckGeneration(generation);
                if (offset >= node.Length)
                {
                    return 0;
                }

                var count = (int)Math.Min(buffer.Length, node.Length - offset);
                node.Current.AsSpan((int)offset, count).CopyTo(buffer);
                return count;
            }
        }

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
            lock (fs._gate)
            {
                fs.CheckGeneration(generation);
                fs.Mutate("Write", $"{path} @{offset} +{data.Length}");
                var growth = Math.Max(0, offset + data.Length - node.Length);
                if (fs.CapacityBytes is { } capacity && fs.TotalBytes() + growth > capacity)
                {
                    throw new IOException("No space left on device (simulated).");
                }

                node.Write(offset, data);
            }
        }

        public void Sync()
        {
            lock (fs._gate)
            {
                fs.CheckGeneration(generation);
                if (fs.FailSync?.Invoke(path) == true)
                {
                    throw new IOException($"Simulated I/O error syncing {path}.");
                }

                fs.Mutate("Sync", path);
                fs.FileSyncs++;
                node.Sync();
            }
        }

        public void Truncate(long length)
        {
            lock (fs._gate)
            {
                fs.CheckGeneration(generation);
                fs.Mutate("Truncate", $"{path} to {length}");
                node.Truncate(length);
            }
        }

        public void Dispose()
        {
        }
    }
}

using Cairn.Client.Resp;

namespace Cairn.Client.Datastore;

/// <summary>
/// A batch of <see cref="RespDatastore"/> or <see cref="ClusterDatastore"/>: its operations are kept (values copied)
/// until commit, then handed in order to the datastore's send, which turns runs of puts into MSET commands and runs
/// of deletes into DEL commands (<see cref="ToCommands"/>), for a cluster slot by slot.
/// </summary>
internal sealed class RespDatastoreBatch(Func<IReadOnlyList<(byte[] Key, byte[]? Value)>, CancellationToken, Task> send) : IDatastoreBatch
{
    private const int MaxKeysPerCommand = 512;
    private const long MaxBytesPerCommand = 8L * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly List<(byte[] Key, byte[]? Value)> _operations = [];
    private bool _committed;

    public Task PutAsync(Key key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var bytes = DatastoreKeyBytes.Encode(key);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ThrowIfCommitted();
            _operations.Add((bytes, value.ToArray()));
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = DatastoreKeyBytes.Encode(key);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ThrowIfCommitted();
            _operations.Add((bytes, null));
        }

        return Task.CompletedTask;
    }

    public Task CommitAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ThrowIfCommitted();
            _committed = true;
        }

        return _operations.Count == 0 ? Task.CompletedTask : send(_operations, cancellationToken);
    }

    /// <summary>
    /// The commands that apply <paramref name="operations"/> in order: each run of puts one MSET, each run of
    /// deletes one DEL, split to stay under a bounded size.
    /// </summary>
    internal static List<RespCommand> ToCommands(IReadOnlyList<(byte[] Key, byte[]? Value)> operations)
    {
        var commands = new List<RespCommand>();
        RespCommand? current = null;
        var currentIsPut = false;
        var keys = 0;
        long bytes = 0;
        foreach (var (key, value) in operations)
        {
            var isPut = value is not null;
            var size = key.Length + (value?.Length ?? 0);
            if (current is null || isPut != currentIsPut || keys >= MaxKeysPerCommand || bytes + size > MaxBytesPerCommand)
            {
                current = new RespCommand(isPut ? "MSET" : "DEL");
                commands.Add(current);
                currentIsPut = isPut;
                keys = 0;
                bytes = 0;
            }

            current.Add(key);
            if (value is not null)
            {
                current.Add(value);
            }

            keys++;
            bytes += size;
        }

        return commands;
    }

    private void ThrowIfCommitted()
    {
        if (_committed)
        {
            throw new InvalidOperationException("The batch was committed; start a new batch.");
        }
    }
}

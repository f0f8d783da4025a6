using System.Collections.Concurrent;
using System.Globalization;
using Cairn.Core;

namespace Cairn.Client.Resp;

/// <summary>
/// A slot-aware client for a Redis-Cluster-compatible cluster (Cairn's cluster mode, or Redis Cluster): it loads the
/// slot map with <c>CLUSTER SLOTS</c> from its seeds, keeps one <see cref="RespClient"/> (a connection pool) per
/// node, and sends each command to the node serving its key's slot (<see cref="HashSlot"/>). Safe for concurrent use.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>-MOVED slot host:port</c>: the slot's owner is updated at once, a full reload of the map is scheduled in
/// the background, and the command is sent again to the new owner.</item>
/// <item><c>-ASK slot host:port</c>: the command is sent once to the named node, preceded by <c>ASKING</c>, on the
/// same connection; the map is left as it is.</item>
/// <item><c>-TRYAGAIN</c> and <c>-CLUSTERDOWN</c>: the command is sent again after a short, growing wait, up to
/// <see cref="ClusterRespClientOptions.MaxRetries"/> times; after that the error reply stands.</item>
/// <item>A command redirected more than once waits before each further redirect (<see cref="ClusterRespClientOptions.RetryDelay"/>,
/// doubling), since nodes can briefly point at each other while a shard group changes leader. After
/// <see cref="ClusterRespClientOptions.MaxRedirects"/> redirects a command fails with
/// <see cref="ClusterRedirectException"/>. A command that fails on a connection is not sent again (it may have been
/// applied); the map is reloaded in the background.</item>
/// </list>
/// </remarks>
public sealed class ClusterRespClient : IAsyncDisposable
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, RespClient> _nodes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private readonly string[] _seeds;
    private volatile SlotMap _map = SlotMap.Unloaded;
    private Task _backgroundRefresh = Task.CompletedTask;
    private int _refreshScheduled;
    private long _redirects;
    private long _refreshes;
    private volatile bool _disposed;

    /// <summary>Creates a client; nothing connects until the first request.</summary>
    /// <exception cref="ArgumentException">No seeds, or a seed that is not an address.</exception>
    public ClusterRespClient(ClusterRespClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Seeds);
        ArgumentNullException.ThrowIfNull(options.Node);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRedirects);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries);
        if (options.Seeds.Count == 0)
        {
            throw new ArgumentException("A cluster client needs one or more seed addresses.", nameof(options));
        }

        Options = options;
        _seeds = [.. options.Seeds.Select(s => { var (host, port) = RespClientOptions.ParseAddress(s); return FormatAddress(host, port); }).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The options the client was created with.</summary>
    public ClusterRespClientOptions Options { get; }

    /// <summary>How many <c>-MOVED</c> and <c>-ASK</c> redirects the client has followed.</summary>
    public long Redirects => Interlocked.Read(ref _redirects);

    /// <summary>How many times the client has loaded the whole slot map.</summary>
    public long Refreshes => Interlocked.Read(ref _refreshes);

    /// <summary>The distinct nodes that serve slots in the client's current map (masters), <c>host:port</c>.</summary>
    public IReadOnlyList<string> Masters => _map.Masters();

    /// <summary>
    /// Every node the last <c>CLUSTER SLOTS</c> named, masters and replicas, <c>host:port</c>; the seeds before the map
    /// is loaded.
    /// </summary>
    public IReadOnlyList<string> Nodes => _map.Loaded ? _map.Nodes : _seeds;

    /// <summary>The node that serves <paramref name="slot"/> in the client's current map, or null when none does.</summary>
    public string? OwnerOf(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, HashSlot.Count);
        return _map.Owner(slot);
    }

    /// <summary>Loads the slot map now with <c>CLUSTER SLOTS</c>, from the known nodes and then the seeds.</summary>
    /// <exception cref="RespConnectionException">No node answered.</exception>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var candidates = _map.Nodes.Concat(_seeds).Distinct(StringComparer.Ordinal).ToList();
            Exception? last = null;
            foreach (var address in candidates)
            {
                try
                {
                    var reply = await Node(address).ExecuteAsync(new RespCommand("CLUSTER").Add("SLOTS"), cancellationToken);
                    _map = SlotMap.Parse(reply.AsArray(), address);
                    Interlocked.Increment(ref _refreshes);
                    return;
                }
                catch (Exception e) when (e is RespConnectionException or RespServerException)
                {
                    last = e;
                }
            }

            throw new RespConnectionException($"cannot load the cluster's slot map from any of {string.Join(", ", candidates)}: {last?.Message}", last!);
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>
    /// Sends <paramref name="command"/> to the node serving the slot of <paramref name="key"/>, following redirects,
    /// and returns its reply. Every key the command names must hash to that slot.
    /// </summary>
    /// <exception cref="RespServerException">The server replied with an error.</exception>
    /// <exception cref="RespConnectionException">The node cannot be reached or the connection failed.</exception>
    /// <exception cref="ClusterRedirectException">The command was redirected too many times.</exception>
    public Task<RespReply> ExecuteAsync(ReadOnlyMemory<byte> key, RespCommand command, CancellationToken cancellationToken = default) =>
        ExecuteOnSlotAsync(HashSlot.Of(key.Span), command, cancellationToken);

    /// <summary>Sends <paramref name="command"/> to the node serving <paramref name="slot"/>, following redirects.</summary>
    /// <exception cref="RespServerException">The server replied with an error.</exception>
    /// <exception cref="RespConnectionException">The node cannot be reached or the connection failed.</exception>
    /// <exception cref="ClusterRedirectException">The command was redirected too many times.</exception>
    public async Task<RespReply> ExecuteOnSlotAsync(int slot, RespCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, HashSlot.Count);
        var reply = await SendAsync(slot, command, cancellationToken);
        return reply.ThrowIfError();
    }

    /// <summary>
    /// Sends commands, each with the slot of its keys, and returns their replies in order: one pipeline per node (the
    /// nodes in parallel), then each redirected command again on its own, in order, following its redirects. Error
    /// replies are returned, not thrown; the commands are not a transaction.
    /// </summary>
    /// <exception cref="RespConnectionException">A node cannot be reached or a connection failed.</exception>
    /// <exception cref="ClusterRedirectException">A command was redirected too many times.</exception>
    public async Task<RespReply[]> PipelineAsync(IReadOnlyList<(int Slot, RespCommand Command)> commands, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var replies = new RespReply[commands.Count];
        if (commands.Count == 0)
        {
            return replies;
        }

        await EnsureLoadedAsync(cancellationToken);
        var byNode = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < commands.Count; i++)
        {
            var (slot, command) = commands[i];
            ArgumentNullException.ThrowIfNull(command);
            ArgumentOutOfRangeException.ThrowIfNegative(slot);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, HashSlot.Count);
            var address = AddressFor(slot);
            if (!byNode.TryGetValue(address, out var list))
            {
                byNode[address] = list = [];
            }

            list.Add(i);
        }

        await Task.WhenAll(byNode.Select(pair => SendToNodeAsync(pair.Key, pair.Value)));
        return replies;

        async Task SendToNodeAsync(string address, List<int> indexes)
        {
            const int MaxCommandsPerPipeline = 128;
            for (var at = 0; at < indexes.Count; at += MaxCommandsPerPipeline)
            {
                var chunk = indexes.GetRange(at, Math.Min(MaxCommandsPerPipeline, indexes.Count - at));
                var sent = await SendOrRefreshAsync(address, [.. chunk.Select(i => commands[i].Command)], cancellationToken);
                for (var j = 0; j < chunk.Count; j++)
                {
                    var i = chunk[j];
                    replies[i] = IsRedirectOrRetry(sent[j]) ? await SendAsync(commands[i].Slot, commands[i].Command, cancellationToken) : sent[j];
                }
            }
        }
    }

    /// <summary>Sends <paramref name="command"/> to the node at <paramref name="address"/> as it is: no routing, no redirects.</summary>
    /// <exception cref="RespServerException">The server replied with an error.</exception>
    /// <exception cref="RespConnectionException">The node cannot be reached or the connection failed.</exception>
    public async Task<RespReply> ExecuteOnNodeAsync(string address, RespCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(command);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var replies = await SendOrRefreshAsync(address, [command], cancellationToken);
        return replies[0].ThrowIfError();
    }

    /// <summary>Closes every connection to every node. Requests under way fail.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _disposing.CancelAsync();
        try
        {
            await _backgroundRefresh;
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var node in _nodes.Values)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
        _disposing.Dispose();
    }

    /// <summary>Sets the owner of <paramref name="slot"/> in the map, as a <c>-MOVED</c> would (tests use it to misroute).</summary>
    internal void SetOwner(int slot, string address) => _map.SetOwner(slot, address);

    /// <summary>The reply to <paramref name="command"/> on <paramref name="slot"/>, redirects followed; errors returned.</summary>
    internal async Task<RespReply> SendAsync(int slot, RespCommand command, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        string? askTarget = null;
        var redirects = 0;
        var retries = 0;
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RespReply reply;
            string address;
            if (askTarget is not null)
            {
                address = askTarget;
                askTarget = null;
                var replies = await SendOrRefreshAsync(address, [new RespCommand("ASKING"), command], cancellationToken);
                reply = replies[0].IsError ? replies[0] : replies[1];
            }
            else
            {
                address = AddressFor(slot);
                reply = (await SendOrRefreshAsync(address, [command], cancellationToken))[0];
            }

            if (!reply.IsError)
            {
                return reply;
            }

            var text = reply.Text ?? string.Empty;
            if (TryParseRedirect(text, address, out var moved, out var redirectSlot, out var target))
            {
                if (++redirects > Options.MaxRedirects)
                {
                    throw new ClusterRedirectException(
                        $"'{command.Name}' on slot {slot} was redirected more than {Options.MaxRedirects} times (last: {text} from {address}); the cluster's slot map keeps changing.");
                }

                Interlocked.Increment(ref _redirects);
                if (redirects > 1)
                {
                    // Redirected again: nodes may disagree while a slot changes hands; give them a moment.
                    var delay = Options.RetryDelay * (1 << Math.Min(redirects - 2, 5));
                    await Task.Delay(delay < MaxRetryDelay ? delay : MaxRetryDelay, cancellationToken);
                }

                if (moved)
                {
                    _map.SetOwner(redirectSlot, target);
                    ScheduleRefresh();
                }
                else
                {
                    askTarget = target;
                }

                continue;
            }

            var isClusterDown = text.StartsWith("CLUSTERDOWN", StringComparison.Ordinal);
            if (isClusterDown || text.StartsWith("TRYAGAIN", StringComparison.Ordinal))
            {
                if (++retries > Options.MaxRetries)
                {
                    return reply;
                }

                if (isClusterDown)
                {
                    ScheduleRefresh();
                }

                var delay = Options.RetryDelay * retries;
                await Task.Delay(delay < MaxRetryDelay ? delay : MaxRetryDelay, cancellationToken);
                continue;
            }

            return reply;
        }
    }

    /// <summary>Loads the map unless it has been loaded.</summary>
    internal async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (!_map.Loaded)
        {
            await RefreshAsync(cancellationToken);
        }
    }

    private static bool IsRedirectOrRetry(RespReply reply) =>
        reply.IsError && reply.Text is { } text &&
        (text.StartsWith("MOVED ", StringComparison.Ordinal) || text.StartsWith("ASK ", StringComparison.Ordinal) ||
         text.StartsWith("TRYAGAIN", StringComparison.Ordinal) || text.StartsWith("CLUSTERDOWN", StringComparison.Ordinal));

    /// <summary>Reads <c>MOVED slot host:port</c> or <c>ASK slot host:port</c>; an empty host is the host of <paramref name="from"/>.</summary>
    private static bool TryParseRedirect(string text, string from, out bool moved, out int slot, out string target)
    {
        moved = false;
        slot = 0;
        target = string.Empty;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || (parts[0] != "MOVED" && parts[0] != "ASK") ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out slot) || slot >= HashSlot.Count)
        {
            return false;
        }

        moved = parts[0] == "MOVED";
        var endpoint = parts[2];
        if (endpoint.StartsWith(':'))
        {
            endpoint = RespClientOptions.ParseAddress(from).Host is var host && host.Contains(':', StringComparison.Ordinal) ? $"[{host}]{endpoint}" : host + endpoint;
        }

        try
        {
            var (targetHost, targetPort) = RespClientOptions.ParseAddress(endpoint);
            target = FormatAddress(targetHost, targetPort);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string FormatAddress(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>The node to send a command on <paramref name="slot"/> to: its owner, or any known node (which redirects).</summary>
    private string AddressFor(int slot)
    {
        var map = _map;
        if (map.Owner(slot) is { } owner)
        {
            return owner;
        }

        ScheduleRefresh();
        var nodes = map.Nodes.Count > 0 ? map.Nodes : _seeds;
        return nodes[slot % nodes.Count];
    }

    private async Task<RespReply[]> SendOrRefreshAsync(string address, IReadOnlyList<RespCommand> commands, CancellationToken cancellationToken)
    {
        try
        {
            return await Node(address).PipelineAsync(commands, progress: null, cancellationToken);
        }
        catch (RespConnectionException)
        {
            ScheduleRefresh(); // the node may have failed, and its slots moved
            throw;
        }
    }

    private RespClient Node(string address)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _nodes.GetOrAdd(address, a =>
        {
            var (host, port) = RespClientOptions.ParseAddress(a);
            return new RespClient(Options.Node with { Host = host, Port = port });
        });
    }

    /// <summary>Starts one background reload of the map unless one is already under way.</summary>
    private void ScheduleRefresh()
    {
        if (_disposed || Interlocked.CompareExchange(ref _refreshScheduled, 1, 0) != 0)
        {
            return;
        }

        _backgroundRefresh = Task.Run(async () =>
        {
            try
            {
                await RefreshAsync(_disposing.Token);
            }
            catch (Exception e) when (e is RespConnectionException or OperationCanceledException or ObjectDisposedException)
            {
                // The next redirect or failure schedules another.
            }
            finally
            {
                Volatile.Write(ref _refreshScheduled, 0);
            }
        });
    }

    /// <summary>Which node serves each slot, and every node the map names.</summary>
    private sealed class SlotMap(string?[] owners, IReadOnlyList<string> nodes, bool loaded)
    {
        public static readonly SlotMap Unloaded = new(new string?[HashSlot.Count], [], loaded: false);

        public bool Loaded => loaded;

        public IReadOnlyList<string> Nodes => nodes;

        public string? Owner(int slot) => Volatile.Read(ref owners[slot]);

        public void SetOwner(int slot, string address) => Volatile.Write(ref owners[slot], address);

        public IReadOnlyList<string> Masters()
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var masters = new List<string>();
            for (var slot = 0; slot < owners.Length; slot++)
            {
                if (Owner(slot) is { } owner && seen.Add(owner))
                {
                    masters.Add(owner);
                }
            }

            return masters;
        }

        /// <summary>Reads a <c>CLUSTER SLOTS</c> reply: <c>[[start, end, [host, port, id, …], replicas…], …]</c>.</summary>
        public static SlotMap Parse(IReadOnlyList<RespReply> ranges, string from)
        {
            var owners = new string?[HashSlot.Count];
            var nodes = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var range in ranges)
            {
                var items = range.AsArray();
                if (items.Count < 3)
                {
                    throw new RespProtocolException($"CLUSTER SLOTS replied with a range of {items.Count} elements");
                }

                var start = items[0].AsInteger();
                var end = items[1].AsInteger();
                if (start < 0 || end >= HashSlot.Count || start > end)
                {
                    throw new RespProtocolException($"CLUSTER SLOTS replied with the range {start}-{end}");
                }

                for (var i = 2; i < items.Count; i++)
                {
                    var node = items[i].AsArray();
                    if (node.Count < 2)
                    {
                        throw new RespProtocolException("CLUSTER SLOTS replied with a node of fewer than 2 elements");
                    }

                    var host = node[0].AsString();
                    if (string.IsNullOrEmpty(host) || host == "?")
                    {
                        host = RespClientOptions.ParseAddress(from).Host; // Redis: the host the reply came from
                    }

                    var address = FormatAddress(host, checked((int)node[1].AsInteger()));
                    if (seen.Add(address))
                    {
                        nodes.Add(address);
                    }

                    if (i == 2)
                    {
                        for (var slot = start; slot <= end; slot++)
                        {
                            owners[slot] = address;
                        }
                    }
                }
            }

            return new SlotMap(owners, nodes, loaded: true);
        }
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using Cairn.Client.Resp;
using Cairn.Core;

namespace Cairn.Cluster.Process.Tests;

/// <summary>
/// A small Redis Cluster client over <see cref="RespClient"/>, as <c>redis-cli -c</c> behaves: it sends a keyed
/// command to the node it last learned serves the key's slot (or to an entry node), follows <c>MOVED</c> (and
/// remembers it) and <c>ASK</c> (with <c>ASKING</c>), and forgets a slot's node when the connection to it fails.
/// </summary>
internal sealed class ClusterClient(IReadOnlyList<string> seeds) : IAsyncDisposable
{
    private const int MaxRedirects = 5;
    private readonly ConcurrentDictionary<string, RespClient> _clients = new(StringComparer.Ordinal);
    private readonly string?[] _slotNodes = new string?[HashSlot.Count];

    /// <summary>Sends <paramref name="command"/> about <paramref name="key"/> once (following redirects) and returns the final reply, errors included.</summary>
    /// <param name="entry">The node to ask first, or null for the node last learned for the slot (else a random seed).</param>
    /// <exception cref="RespConnectionException">A node on the way could not be reached.</exception>
    public async Task<RespReply> ExecuteAsync(string key, RespCommand command, string? entry = null, CancellationToken cancellationToken = default) =>
        (await ExecuteAtAsync(key, command, entry, cancellationToken)).Reply;

    /// <summary>As <see cref="ExecuteAsync"/>, also saying which node gave the final reply.</summary>
    public async Task<(RespReply Reply, string Node)> ExecuteAtAsync(string key, RespCommand command, string? entry = null, CancellationToken cancellationToken = default)
    {
        var slot = HashSlot.Of(key);
        var address = entry ?? Volatile.Read(ref _slotNodes[slot]) ?? seeds[Random.Shared.Next(seeds.Count)];
        var asking = false;
        for (var hop = 0; ; hop++)
        {
            RespReply reply;
            try
            {
                var replies = await Client(address).PipelineAsync(asking ? [new RespCommand("ASKING"), command] : [command], cancellationToken: cancellationToken);
                reply = replies[^1];
            }
            catch (RespConnectionException)
            {
                Interlocked.CompareExchange(ref _slotNodes[slot], null, address);
                throw;
            }

            if (!reply.IsError || hop == MaxRedirects || Redirect(reply.Text) is not { } redirect)
            {
                return (reply, address);
            }

            (address, asking) = (redirect.Address, redirect.Ask);
            if (!redirect.Ask)
            {
                Volatile.Write(ref _slotNodes[slot], redirect.Address);
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="command"/> until it gets an answer that is not an error (connection failures, CLUSTERDOWN,
    /// TRYAGAIN and the like are retried every 50 ms) or <paramref name="timeout"/> passes, then fails with the last error.
    /// </summary>
    public async Task<RespReply> ExecuteUntilAnsweredAsync(string key, RespCommand command, TimeSpan timeout, Func<string?>? entry = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string last;
            try
            {
                var reply = await ExecuteAsync(key, command, entry?.Invoke());
                if (!reply.IsError)
                {
                    return reply;
                }

                last = reply.Text ?? "error";
            }
            catch (RespConnectionException e)
            {
                last = e.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{command} (slot {HashSlot.Of(key)}) got no answer within {timeout}; last: {last}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            await client.DisposeAsync();
        }
    }

    private static (string Address, bool Ask)? Redirect(string? error)
    {
        // MOVED <slot> <host:port> / ASK <slot> <host:port>
        var parts = (error ?? string.Empty).Split(' ');
        return parts.Length == 3 && parts[0] is ("MOVED" or "ASK") && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? (parts[2], parts[0] == "ASK")
            : null;
    }

    private RespClient Client(string address) => _clients.GetOrAdd(address, a =>
    {
        var (host, port) = RespClientOptions.ParseAddress(a);
        return new RespClient(new RespClientOptions
        {
            Host = host,
            Port = port,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            IoTimeout = TimeSpan.FromSeconds(5),
            MaxConnections = 16,
        });
    });
}

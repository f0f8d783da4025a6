using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Cairn.Kv.Commands;
using Cairn.Kv.Keyspace;

namespace Cairn.Kv.Server;

/// <summary>
/// The Redis-protocol front end: accepts TCP clients and serves the keyspace of an <see cref="IKvBackend"/> to
/// them. Raw sockets with System.IO.Pipelines (see docs/decisions/0008).
/// </summary>
public sealed class RespServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, ClientConnection> _clients = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Action<string> _log;
    private Socket? _listener;
    private Task? _acceptLoop;
    private long _nextClientId;

    /// <summary>Creates a server for <paramref name="backend"/>; <see cref="Start"/> begins listening.</summary>
    /// <param name="backend">The keyspace served.</param>
    /// <param name="options">Addresses, authentication and limits.</param>
    /// <param name="log">Where operational messages go (default: standard error).</param>
    /// <param name="clock">The clock expiry times are computed with; share it with the backend.</param>
    public RespServer(IKvBackend backend, KvServerOptions? options = null, Action<string>? log = null, TimeProvider? clock = null)
    {
        Clock = clock ?? TimeProvider.System;
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Options = options ?? new KvServerOptions();
        _log = log ?? (message => Console.Error.WriteLine(message));
        Config = new ServerConfig(Options);
    }

    /// <summary>The keyspace served.</summary>
    public IKvBackend Backend { get; }

    /// <summary>The options the server started with.</summary>
    public KvServerOptions Options { get; }

    /// <summary>The address the server listens on, once started.</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint as IPEndPoint;

    /// <summary>The clock expiry times are computed with.</summary>
    public TimeProvider Clock { get; }

    /// <summary>Now, in Unix milliseconds.</summary>
    internal long Now => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>How many clients are connected.</summary>
    public int ClientCount => _clients.Count;

    internal CommandTable Commands { get; } = CommandTable.Default;

    internal ServerStats Stats { get; } = new();

    internal ServerConfig Config { get; }

    internal IEnumerable<ClientConnection> Clients => _clients.Values;

    /// <summary>Binds the listening socket and starts accepting clients.</summary>
    /// <exception cref="SocketException">The address is in use or cannot be bound.</exception>
    public void Start()
    {
        var address = IPAddress.Parse(Options.BindAddress);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, Options.Port));
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _acceptLoop = AcceptLoopAsync(listener);
    }

    /// <summary>Stops accepting, closes every client, and waits for them to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        foreach (var client in _clients.Values)
        {
            client.Abort();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!_clients.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        _stopping.Dispose();
    }

    internal void Log(string message) => _log(message);

    /// <summary>Removes a client from the table; false when it was already gone.</summary>
    internal bool Forget(ClientConnection client) => _clients.TryRemove(client.Id, out _);

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors or a transient network error: back off rather than spin, and keep serving
                // the clients already connected.
                _log($"accept failed: {e.Message}; retrying in 100 ms");
                try
                {
                    await Task.Delay(100, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Stats.CountConnection();
            socket.NoDelay = true;
            if (_clients.Count >= Config.MaxClients)
            {
                Stats.CountRejected();
                _ = RejectAsync(socket);
                continue;
            }

            var client = new ClientConnection(this, socket, Interlocked.Increment(ref _nextClientId));
            _clients[client.Id] = client;
            _ = Task.Run(client.RunAsync);
        }
    }

    private static async Task RejectAsync(Socket socket)
    {
        try
        {
            await socket.SendAsync("-ERR max number of clients reached\r\n"u8.ToArray(), SocketFlags.None);
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}

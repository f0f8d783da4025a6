using System.Collections.Concurrent;

namespace Cairn.Rpc;

/// <summary>
/// The methods a node serves, by name. Register handlers before starting the server or dialing; a call to a name
/// with no handler fails with <see cref="RpcStatus.UnknownMethod"/>.
/// </summary>
public sealed class RpcRouter
{
    private readonly ConcurrentDictionary<string, Delegate> _handlers = new(StringComparer.Ordinal);

    /// <summary>Serves <paramref name="method"/> as a request/response call.</summary>
    public RpcRouter MapCall(string method, RpcCallHandler handler) => Add(method, handler);

    /// <summary>Serves <paramref name="method"/> as a one-way message.</summary>
    public RpcRouter MapOneWay(string method, RpcOneWayHandler handler) => Add(method, handler);

    /// <summary>Serves <paramref name="method"/> as an incoming stream of bulk bytes.</summary>
    public RpcRouter MapStream(string method, RpcStreamHandler handler) => Add(method, handler);

    internal T? Find<T>(string method)
        where T : Delegate =>
        _handlers.TryGetValue(method, out var handler) ? handler as T : null;

    private RpcRouter Add(string method, Delegate handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(handler);
        if (!_handlers.TryAdd(method, handler))
        {
            throw new ArgumentException($"method '{method}' already has a handler", nameof(method));
        }

        return this;
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Cairn.Rpc.Tests.Support;

/// <summary>Keeps every log line so tests can assert that a reason was logged.</summary>
internal sealed class CollectingLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");

    public bool Contains(string text) => _lines.Any(line => line.Contains(text, StringComparison.OrdinalIgnoreCase));
}

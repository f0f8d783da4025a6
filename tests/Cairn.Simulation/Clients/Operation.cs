using Cairn.Simulation.Kv;

namespace Cairn.Simulation.Clients;

/// <summary>
/// One client operation in a history: when it was invoked and, if the client learned the outcome, when it returned
/// and what it returned. An operation that never returned may or may not have taken effect (Porcupine's "unknown").
/// </summary>
public sealed class Operation(KvCommand command, long call)
{
    public KvCommand Command { get; } = command;

    /// <summary>Virtual time (µs) of the invocation.</summary>
    public long Call { get; } = call;

    /// <summary>Virtual time (µs) of the response, or null if the client never learned the outcome.</summary>
    public long? Return { get; private set; }

    public KvResult Output { get; private set; }

    public int Key => Command.Key;

    public void Complete(long at, KvResult output)
    {
        if (Return is not null)
        {
            throw new InvalidOperationException($"{Command} returned twice.");
        }

        Return = at;
        Output = output;
    }

    public override string ToString() =>
        $"{Command} [{Call}, {(Return is { } r ? r.ToString(System.Globalization.CultureInfo.InvariantCulture) : "∞")}] -> {(Return is null ? "?" : Output.ToString())}";
}

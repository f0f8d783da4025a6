using Cairn.Simulation.Kv;

namespace Cairn.Simulation.Clients;

/// <summary>The invoke/return history of every client operation of a run, in invocation order.</summary>
public sealed class History
{
    private readonly List<Operation> _operations = [];

    public IReadOnlyList<Operation> Operations => _operations;

    public Operation Invoke(KvCommand command, long at)
    {
        var operation = new Operation(command, at);
        _operations.Add(operation);
        return operation;
    }

    public int Completed => _operations.Count(o => o.Return is not null);
}

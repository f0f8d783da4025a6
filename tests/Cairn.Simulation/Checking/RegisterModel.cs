using Cairn.Simulation.Clients;
using Cairn.Simulation.Kv;

namespace Cairn.Simulation.Checking;

/// <summary>
/// The sequential specification of one key: a compare-and-set register starting at 0. An operation that never
/// returned is accepted with whatever outcome the register gives it, because its output is unknown.
/// </summary>
public static class RegisterModel
{
    public static bool Step(long state, Operation operation, out long next)
    {
        var command = operation.Command;
        var returned = operation.Return is not null;
        var output = operation.Output;
        next = state;
        switch (command.Kind)
        {
            case KvOpKind.Get:
                return !returned || (output.Ok && output.Value == state);
            case KvOpKind.Put:
                next = command.Value;
                return !returned || output.Ok;
            case KvOpKind.Cas:
                if (!returned)
                {
                    next = state == command.Expected ? command.Value : state;
                    return true;
                }

                if (output.Ok)
                {
                    next = command.Value;
                    return state == command.Expected;
                }

                return state != command.Expected;
            default:
                return false;
        }
    }
}

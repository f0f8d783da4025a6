namespace Cairn.Raft.Hosting;

/// <summary>The RPC methods of <c>cairn raft-node</c>, the Raft-replicated register used by tests and benchmarks.</summary>
public static class RegisterMethods
{
    /// <summary>A put or a linearizable get (through the log): <c>RegisterRequest</c> in, <c>RegisterReply</c> out.</summary>
    public const string Call = "register.call";

    /// <summary>Fault injection: cut Raft traffic with some peers for a while (<c>IsolateRequest</c>).</summary>
    public const string Isolate = "raft.isolate";
}

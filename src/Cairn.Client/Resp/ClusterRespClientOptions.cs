namespace Cairn.Client.Resp;

/// <summary>Where a <see cref="ClusterRespClient"/> finds the cluster, how it connects to nodes and how hard it retries.</summary>
public sealed record ClusterRespClientOptions
{
    /// <summary>
    /// Addresses (<c>host:port</c>, see <see cref="RespClientOptions.ParseAddress"/>) of one or more of the cluster's
    /// nodes; the slot map is loaded from the first that answers.
    /// </summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>
    /// How every node is connected to: user, password, timeouts and connections per node. Its host and port are
    /// ignored; each node's come from the slot map.
    /// </summary>
    public RespClientOptions Node { get; init; } = new();

    /// <summary>
    /// The most <c>-MOVED</c> and <c>-ASK</c> redirects one command follows before it fails. Default 5; from the
    /// second on, each waits <see cref="RetryDelay"/>, doubled every time.
    /// </summary>
    public int MaxRedirects { get; init; } = 5;

    /// <summary>
    /// The most times one command is retried after <c>-TRYAGAIN</c> or <c>-CLUSTERDOWN</c> before that reply is
    /// returned. Default 20.
    /// </summary>
    public int MaxRetries { get; init; } = 20;

    /// <summary>The wait before the first retry; each further retry waits one more of it, up to 1 s. Default 50 ms.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Options with <paramref name="seeds"/> and the defaults otherwise.</summary>
    public static ClusterRespClientOptions FromSeeds(params string[] seeds) => new() { Seeds = seeds };
}

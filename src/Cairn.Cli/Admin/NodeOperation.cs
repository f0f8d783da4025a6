using System.Globalization;
using System.Text.RegularExpressions;
using Cairn.Client.Resp;

namespace Cairn.Cli.Admin;

/// <summary>
/// <c>cairn admin drain-node|undrain-node|remove-node</c>: proposes a node's new state through <c>CAIRN.ADMIN</c> on
/// the first seed that answers, and for a drain follows <c>CAIRN.ADMIN PLACEMENT</c> until the node holds no replica.
/// </summary>
internal static partial class NodeOperation
{
    /// <summary>Runs <paramref name="verb"/> (DRAIN, UNDRAIN, REMOVE) for <paramref name="nodeId"/>; returns the node's answer.</summary>
    public static async Task<string> RunAsync(IReadOnlyList<string> seeds, string? password, string verb, ulong nodeId, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(seeds, password, new RespCommand("CAIRN.ADMIN").Add(verb).Add(nodeId.ToString(CultureInfo.InvariantCulture)), cancellationToken);
        return reply;
    }

    /// <summary>Polls the placement until <paramref name="nodeId"/> holds no replica and no group has a learner; reports each change.</summary>
    public static async Task WaitDrainedAsync(IReadOnlyList<string> seeds, string? password, ulong nodeId, TimeSpan timeout, Action<string> progress, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = -2;
        while (true)
        {
            var placement = await AskAsync(seeds, password, new RespCommand("CAIRN.ADMIN").Add("PLACEMENT"), cancellationToken);
            var replicas = Replicas(placement, nodeId);
            var moving = LearnerLine().Matches(placement).Count;
            if (replicas != last)
            {
                progress(string.Create(CultureInfo.InvariantCulture, $"node {nodeId}: {replicas} replicas left, {moving} being copied"));
                last = replicas;
            }

            if (replicas == 0 && moving == 0)
            {
                return;
            }

            if (replicas < 0)
            {
                throw new IOException($"node {nodeId} is not in the cluster's placement");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"node {nodeId} still holds {replicas} replicas after {timeout.TotalSeconds:F0} s; the drain goes on (check `cairn admin nodes`)");
            }

            await Task.Delay(1000, cancellationToken);
        }
    }

    /// <summary>How many replicas the placement text gives <paramref name="nodeId"/>; -1 when it does not list it.</summary>
    internal static int Replicas(string placement, ulong nodeId)
    {
        foreach (Match match in NodeLine().Matches(placement))
        {
            if (ulong.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) == nodeId)
            {
                return int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    internal static async Task<string> AskAsync(IReadOnlyList<string> seeds, string? password, RespCommand command, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var seed in seeds)
        {
            var (host, port) = RespClientOptions.ParseAddress(seed);
            await using var client = new RespClient(new RespClientOptions
            {
                Host = host,
                Port = port,
                Password = password,
                ConnectTimeout = TimeSpan.FromSeconds(3),
                IoTimeout = TimeSpan.FromSeconds(15),
                MaxConnections = 1,
            });
            RespReply reply;
            try
            {
                reply = await client.ExecuteAsync(command, cancellationToken);
            }
            catch (RespConnectionException e)
            {
                failures.Add(e.Message);
                continue;
            }

            return reply.IsError ? throw new IOException($"{client.Address}: {reply.Text}") : reply.AsString() ?? string.Empty;
        }

        throw new IOException(failures.Count == 1 ? failures[0] : $"no seed answered: {string.Join("; ", failures)}");
    }

    [GeneratedRegex(@"^node (\d+) \S+ \S+ replicas=(\d+)", RegexOptions.Multiline)]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"learners=\d", RegexOptions.Multiline)]
    private static partial Regex LearnerLine();
}

using System.Net;
using System.Net.Sockets;

namespace Cairn.Testing;

/// <summary>Free loopback ports for servers a test starts (bound, read and released: a small race, fine for tests).</summary>
public static class LoopbackPorts
{
    // Below Linux's ephemeral range (32768-60999), so outgoing connections do not take them, even at base + 10000.
    private const int LowestBase = 10_000;
    private const int HighestBase = 22_000;
    private static readonly HashSet<int> s_handedOut = [];

    /// <summary><paramref name="count"/> distinct ports nothing listens on right now, picked by the OS.</summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    /// <summary>
    /// A base port P such that P .. P+count-1 and P+offset .. P+offset+count-1 are all free right now, as
    /// <c>cairn config cluster --base-port P</c> needs (RESP ports P+i, Raft ports P+10000+i). Never the same base
    /// twice in one test run, so a restarted test does not meet an earlier cluster's sockets.
    /// </summary>
    public static int FreeBase(int count, int offset = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var candidate = Random.Shared.Next(LowestBase, HighestBase) / 16 * 16;
            lock (s_handedOut)
            {
                if (s_handedOut.Contains(candidate))
                {
                    continue;
                }
            }

            var ports = Enumerable.Range(candidate, count).Concat(Enumerable.Range(candidate + offset, count));
            if (ports.All(IsFree))
            {
                lock (s_handedOut)
                {
                    if (s_handedOut.Add(candidate))
                    {
                        return candidate;
                    }
                }
            }
        }

        throw new InvalidOperationException($"no free base port for {count} nodes between {LowestBase} and {HighestBase} (+{offset}).");
    }

    /// <summary>Whether a listener can bind <paramref name="port"/> on 127.0.0.1 right now.</summary>
    public static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}

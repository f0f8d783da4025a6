using System.Collections.Concurrent;
using Cairn.Raft.Hosting;

namespace Cairn.Raft.Tests.Hosting;

/// <summary>Connects in-process hosts: a send is a delivery to the peer's queue, unless the link is cut.</summary>
internal sealed class LoopbackNetwork
{
    private readonly ConcurrentDictionary<ulong, RaftHost> _hosts = new();
    private readonly ConcurrentDictionary<ulong, bool> _isolated = new();

    public void Attach(RaftHost host) => _hosts[host.NodeId] = host;

    public void Detach(ulong node) => _hosts.TryRemove(node, out _);

    /// <summary>Cuts (or restores) every link of a node.</summary>
    public void Isolate(ulong node, bool isolated = true) => _isolated[node] = isolated;

    public IRaftTransport TransportFor(ulong node) => new Link(this, node);

    private sealed class Link(LoopbackNetwork network, ulong from) : IRaftTransport
    {
        public void Send(ulong to, IReadOnlyList<GroupMessage> messages)
        {
            if (network._isolated.GetValueOrDefault(from) || network._isolated.GetValueOrDefault(to))
            {
                return;
            }

            if (network._hosts.TryGetValue(to, out var host))
            {
                try
                {
                    host.Deliver([.. messages]);
                }
                catch (ObjectDisposedException)
                {
                    // The peer is shutting down: like a closed connection, the messages are lost.
                }
            }
        }

        public void SendSnapshot(ulong to, GroupMessage message, Stream data, Action<bool> completed)
        {
            if (network._isolated.GetValueOrDefault(from) || network._isolated.GetValueOrDefault(to) || !network._hosts.TryGetValue(to, out var host))
            {
                data.Dispose();
                completed(false);
                return;
            }

            _ = Task.Run(async () =>
            {
                var delivered = false;
                try
                {
                    await host.ReceiveSnapshotAsync(message, data);
                    delivered = true;
                }
                catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or ArgumentException or IOException)
                {
                    // Like a failed transfer: the leader probes again.
                }
                finally
                {
                    data.Dispose();
                    completed(delivered);
                }
            });
        }
    }
}

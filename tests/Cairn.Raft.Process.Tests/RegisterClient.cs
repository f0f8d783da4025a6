using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Cairn.Raft.Hosting;
using Cairn.Raft.Hosting.Protocol;
using Cairn.Rpc;
using Cairn.Simulation.Clients;
using Cairn.Simulation.Kv;
using Google.Protobuf;

namespace Cairn.Raft.Process.Tests;

/// <summary>
/// A client of the raft-node register that records every operation it starts for the linearizability checker.
/// "Not leader" and "dropped" answers mean the command did not take effect, so the operation leaves the history
/// and is retried; a timeout or lost connection leaves it open (it may or may not have taken effect) and this
/// client id retires, because a sequential client cannot start another operation while one is open.
/// </summary>
internal sealed class RegisterClient(string[] endpoints, string secret, List<Operation> history, Random random) : IAsyncDisposable
{
    private readonly Dictionary<string, RpcPeer> _peers = [];
    private int _client = random.Next(1, 1_000_000);
    private int _seq;
    private string _target = endpoints[0];

    public int Completed { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var put = random.Next(2) == 0;
            var key = random.Next(4);
            var command = new KvCommand(_client, ++_seq, put ? KvOpKind.Put : KvOpKind.Get, key, put ? ((long)_client * 100_000) + _seq : 0, 0);
            var request = new RegisterRequest { Key = ByteString.CopyFromUtf8($"k{key}"), IsGet = !put };
            if (put)
            {
                var value = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(value, command.Value);
                request.Value = ByteString.CopyFrom(value);
            }

            var operation = new Operation(command, Stopwatch.GetTimestamp());
            lock (history)
            {
                history.Add(operation);
            }

            RegisterReply reply;
            try
            {
                reply = await Peer(_target).CallAsync(RegisterMethods.Call, request, RegisterReply.Parser, TimeSpan.FromSeconds(2), CancellationToken.None);
            }
            catch (Exception e) when (e is RpcException or ObjectDisposedException or IOException)
            {
                // Unknown outcome: the operation stays open forever, and this client starts over under a new id.
                _client = random.Next(1, 1_000_000);
                _seq = 0;
                _target = endpoints[random.Next(endpoints.Length)];
                continue;
            }

            if (reply.Code == 0)
            {
                var value = put ? 0 : (reply.Found ? BinaryPrimitives.ReadInt64LittleEndian(reply.Value.Span) : 0);
                operation.Complete(Stopwatch.GetTimestamp(), new KvResult(true, value));
                Completed++;
                continue;
            }

            lock (history)
            {
                history.Remove(operation); // not leader / dropped / refused: it did not take effect
            }

            _target = reply.Code == 1 && reply.LeaderAddress.Length > 0 ? reply.LeaderAddress : endpoints[random.Next(endpoints.Length)];
            await Task.Delay(20, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers.Values)
        {
            await peer.DisposeAsync();
        }
    }

    private RpcPeer Peer(string address)
    {
        if (!_peers.TryGetValue(address, out var peer))
        {
            var options = new RpcOptions { NodeId = "client-" + _client.ToString(CultureInfo.InvariantCulture), ClusterSecret = Encoding.UTF8.GetBytes(secret), ConnectTimeout = TimeSpan.FromSeconds(1) };
            _peers[address] = peer = new RpcPeer(IPEndPoint.Parse(address), options);
        }

        return peer;
    }
}

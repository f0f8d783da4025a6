using System.Net;
using System.Net.Sockets;
using Cairn.Rpc.Handshake;

namespace Cairn.Rpc.Tests.Support;

/// <summary>A bare TCP connection to a server, for sending it bytes no well-behaved peer would.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private RawConnection(Socket socket)
    {
        Socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: true);
    }

    public Socket Socket { get; }

    public NetworkStream Stream { get; }

    public static async Task<RawConnection> ConnectAsync(IPEndPoint endPoint, bool handshake, string nodeId = "raw")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        var raw = new RawConnection(socket);
        if (handshake)
        {
            await ClusterHandshake.DialAsync(raw.Stream, TestCluster.Options(nodeId), endPoint.ToString(), CancellationToken.None);
        }

        return raw;
    }

    public async Task SendAsync(byte[] bytes) => await Stream.WriteAsync(bytes);

    /// <summary>Reads until the server closes the connection; true if it did within the timeout.</summary>
    public async Task<bool> WaitForCloseAsync(int timeoutMs = 5000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        var buffer = new byte[4096];
        try
        {
            while (await Stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync() => await Stream.DisposeAsync();
}

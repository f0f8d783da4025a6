using System.Net;
using System.Net.Sockets;

namespace Cairn.Bench;

/// <summary>Free TCP ports on the loopback interface, for benchmarks that start servers in this process.</summary>
internal static class LoopbackPorts
{
    /// <summary>A port nothing listens on right now (the OS picks it; a race with other processes is possible but rare).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Globalization;
using System.Net;

namespace Cairn.Rpc.Tests.Support;

/// <summary>Counts TCP connections as the kernel sees them (Linux /proc/net/tcp), not as Cairn counts them.</summary>
internal static class KernelSockets
{
    private const string Table = "/proc/net/tcp";

    public static bool Available => File.Exists(Table);

    /// <summary>
    /// Established sockets with either end on <paramref name="address"/>. A connection to a server listening there
    /// from this machine shows up twice: the accepted end (local address) and the dialing end (remote address; its
    /// own local address is whatever the kernel picked, usually 127.0.0.1).
    /// </summary>
    public static int EstablishedTo(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        // The table prints an IPv4 address as its 32-bit value in host (little-endian) order, in hex.
        var hex = BitConverter.ToUInt32(bytes).ToString("X8", CultureInfo.InvariantCulture);
        var count = 0;
        foreach (var line in File.ReadLines(Table).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 3 && fields[3] == "01" && (fields[1].StartsWith(hex + ":", StringComparison.Ordinal) || fields[2].StartsWith(hex + ":", StringComparison.Ordinal)))
            {
                count++;
            }
        }

        return count;
    }
}

namespace Cairn.Client.Resp;

/// <summary>Where a <see cref="RespClient"/> connects and how it authenticates and limits its waits.</summary>
public sealed record RespClientOptions
{
    /// <summary>The server's host name or address. Default 127.0.0.1.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The server's port. Default 6379.</summary>
    public int Port { get; init; } = 6379;

    /// <summary>The user for AUTH (null: the default user).</summary>
    public string? User { get; init; }

    /// <summary>The password for AUTH; null sends no AUTH.</summary>
    public string? Password { get; init; }

    /// <summary>How long to wait for a connection. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one read or write on a connection may wait (re-armed for every read and write, so a large transfer
    /// that keeps moving does not time out). Default 30 s. A timed-out connection is closed.
    /// </summary>
    public TimeSpan IoTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most connections open at once; callers beyond it wait for one. Default 4.</summary>
    public int MaxConnections { get; init; } = 4;

    /// <summary>The largest bulk string reply accepted. Default 512 MiB.</summary>
    public long MaxReplyBulkLength { get; init; } = 512L * 1024 * 1024;

    /// <summary>Parses <c>host:port</c>, <c>host</c> (port 6379), <c>[v6addr]:port</c> or <c>:port</c>.</summary>
    /// <exception cref="FormatException">The text is not an address.</exception>
    public static (string Host, int Port) ParseAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var text = address.Trim();
        string host;
        string? port = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"'{address}' is not a host:port address.");
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                port = rest.StartsWith(':') ? rest[1..] : throw new FormatException($"'{address}' is not a host:port address.");
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) == colon)
            {
                host = text[..colon];
                port = text[(colon + 1)..];
            }
            else
            {
                host = text; // no port, or a bare IPv6 address
            }
        }

        if (host.Length == 0)
        {
            host = "127.0.0.1";
        }

        var number = 6379;
        if (port is not null && (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            throw new FormatException($"'{address}' does not have a valid port (1-65535).");
        }

        return (host, number);
    }
}

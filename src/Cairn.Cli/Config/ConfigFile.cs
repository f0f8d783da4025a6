using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Cairn.Cli.Config;

/// <summary>
/// What the node and client config files share: reading with a size limit and clear errors, writing atomically
/// with owner-only permissions, and the checks on hosts and ports.
/// </summary>
public static class ConfigFile
{
    /// <summary>The largest config file <see cref="Read{T}"/> accepts.</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>
    /// Reads and deserializes <paramref name="path"/>, refusing files over <see cref="MaxBytes"/>, JSON errors,
    /// unknown properties and missing required ones with an <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is too large or not valid JSON for <typeparamref name="T"/>.</exception>
    public static T Read<T>(string path, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"no config file at {file.FullName}.", file.FullName);
        }

        if (file.Length > MaxBytes)
        {
            throw new InvalidDataException($"{path}: the file is {file.Length:N0} bytes; a config file is at most {MaxBytes:N0} bytes.");
        }

        byte[] bytes;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            if (stream.Length > MaxBytes)
            {
                throw new InvalidDataException($"{path}: the file is {stream.Length:N0} bytes; a config file is at most {MaxBytes:N0} bytes.");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }

        try
        {
            // Editors on Windows save UTF-8 with a byte order mark, which the reader does not skip by itself.
            var json = bytes.AsSpan().StartsWith("\uFEFF"u8) ? bytes.AsSpan(3) : bytes;
            return JsonSerializer.Deserialize(json, typeInfo) ?? throw new InvalidDataException($"{path}: the file holds null, not a config object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid config file: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/> atomically: to a temporary file in the same
    /// directory (mode 0600 on Unix, since config files hold secrets), flushed to disk, then renamed over the target.
    /// </summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Whether <paramref name="port"/> is a TCP port a node can listen on (1..65535).</summary>
    public static bool IsPort(int port) => port is >= 1 and <= IPEndPoint.MaxPort;

    /// <summary>Whether <paramref name="host"/> is an IP address or a DNS host name.</summary>
    public static bool IsHost(string? host) =>
        !string.IsNullOrWhiteSpace(host) && Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6;

    /// <summary>Formats <c>host:port</c>, with an IPv6 host in brackets.</summary>
    public static string FormatAddress(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        var shown = IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
        return shown + ":" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Parses <c>host:port</c> (an IPv6 host in brackets); false when the host or port is not valid.</summary>
    public static bool TryParseAddress(string? text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || !IsPort(port))
        {
            return false;
        }

        host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            return IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        return !host.Contains(':', StringComparison.Ordinal) && IsHost(host);
    }
}

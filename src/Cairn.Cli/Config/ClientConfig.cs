using System.Text.Json;

namespace Cairn.Cli.Config;

/// <summary>A client's config file (<c>client.json</c>): which cluster, and the RESP addresses to reach it through.</summary>
/// <remarks>Optional properties have setters, not init: the source-generated reader sets init properties even when a file leaves them out, which would replace their defaults with null or 0.</remarks>
public sealed record ClientConfig
{
    /// <summary>The cluster's id, the same as in its node files.</summary>
    public required string ClusterId { get; init; }

    /// <summary>The RESP addresses (<c>host:port</c>) of the cluster's nodes; a client tries them until one answers.</summary>
    public required IReadOnlyList<string> Seeds { get; init; }

    /// <summary>The password to AUTH with, or null when the cluster needs none.</summary>
    public string? Password { get; set; }

    /// <summary>Reads and validates the client config file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid client config; the message names the file and field.</exception>
    public static ClientConfig Load(string path) => ConfigFile.Read(path, ConfigJsonContext.Default.ClientConfig).Validate(path);

    /// <summary>Serializes the config as the indented camelCase JSON of a client file.</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, ConfigJsonContext.Default.ClientConfig);

    /// <summary>Checks every field and returns the config.</summary>
    /// <param name="source">What to name in errors (the file's path).</param>
    /// <exception cref="InvalidDataException">A field is invalid; the message starts with <paramref name="source"/> and names the field.</exception>
    public ClientConfig Validate(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            throw new InvalidDataException($"{source}: clusterId is empty.");
        }

        if (Seeds.Count == 0)
        {
            throw new InvalidDataException($"{source}: seeds is empty; list the RESP address (host:port) of one or more nodes.");
        }

        for (var i = 0; i < Seeds.Count; i++)
        {
            if (!ConfigFile.TryParseAddress(Seeds[i], out _, out _))
            {
                throw new InvalidDataException($"{source}: seeds[{i}] '{Seeds[i]}' is not a host:port address.");
            }
        }

        return this;
    }
}

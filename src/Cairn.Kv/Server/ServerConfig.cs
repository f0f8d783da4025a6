namespace Cairn.Kv.Server;

/// <summary>
/// The settings CONFIG GET and CONFIG SET see: what Cairn has, under Redis's names where there is one, so tools
/// that read them (redis-benchmark reads "save" and "appendonly") get sensible answers.
/// </summary>
internal sealed class ServerConfig
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _settable = new(StringComparer.OrdinalIgnoreCase) { "maxclients", "requirepass", "enable-flush" };

    public ServerConfig(KvServerOptions options)
    {
        _values["bind"] = options.BindAddress;
        _values["port"] = options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _values["maxclients"] = options.MaxClients.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _values["requirepass"] = options.RequirePass ?? string.Empty;
        _values["enable-flush"] = options.AllowFlush ? "yes" : "no";
        _values["proto-max-bulk-len"] = options.Limits.MaxBulkLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _values["databases"] = "1";
        _values["appendonly"] = "yes"; // every write goes to the log before it is acknowledged
        _values["appendfsync"] = "always";
        _values["save"] = string.Empty;
        _values["maxmemory"] = "0";
        _values["cluster-enabled"] = "no";
    }

    public int MaxClients => int.Parse(Get("maxclients")!, System.Globalization.CultureInfo.InvariantCulture);

    public bool AllowFlush => Get("enable-flush") == "yes";

    public string? RequirePass => Get("requirepass") is { Length: > 0 } pass ? pass : null;

    public string? Get(string name)
    {
        lock (_lock)
        {
            return _values.TryGetValue(name, out var value) ? value : null;
        }
    }

    /// <summary>The settings whose names match a glob pattern.</summary>
    public List<KeyValuePair<string, string>> Matching(string pattern)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(pattern.ToLowerInvariant());
        lock (_lock)
        {
            return [.. _values.Where(p => Keyspace.GlobPattern.IsMatch(bytes, System.Text.Encoding.UTF8.GetBytes(p.Key))).OrderBy(p => p.Key, StringComparer.Ordinal)];
        }
    }

    /// <summary>Sets a value; returns an error message, or null on success.</summary>
    public string? Set(string name, string value)
    {
        if (!_values.ContainsKey(name))
        {
            return $"ERR Unknown option or number of arguments for CONFIG SET - '{name}'";
        }

        if (!_settable.Contains(name))
        {
            return $"ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config";
        }

        if (name.Equals("maxclients", StringComparison.OrdinalIgnoreCase) && (!int.TryParse(value, out var max) || max < 1))
        {
            return $"ERR CONFIG SET failed (possibly related to argument '{name}') - argument must be a positive integer";
        }

        if (name.Equals("enable-flush", StringComparison.OrdinalIgnoreCase) && value is not ("yes" or "no"))
        {
            return $"ERR CONFIG SET failed (possibly related to argument '{name}') - argument must be 'yes' or 'no'";
        }

        lock (_lock)
        {
            _values[name] = value;
        }

        return null;
    }
}

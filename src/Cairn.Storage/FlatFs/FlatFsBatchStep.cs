namespace Cairn.Storage.FlatFs;

/// <summary>One key's final operation in a <see cref="FlatFsEngine.Write"/>, with the temp file that holds its new value.</summary>
internal sealed class FlatFsBatchStep(byte[] key, byte[]? value, string directory, string path)
{
    /// <summary>The key (a copy the step owns).</summary>
    public byte[] Key { get; } = key;

    /// <summary>The new value, or null for a delete.</summary>
    public byte[]? Value { get; } = value;

    /// <summary>The full path of the key's shard directory.</summary>
    public string Directory { get; } = directory;

    /// <summary>The full path of the key's file.</summary>
    public string Path { get; } = path;

    /// <summary>The temp file holding the new value until it is renamed into place.</summary>
    public string? Temp { get; set; }
}

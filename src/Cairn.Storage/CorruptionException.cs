namespace Cairn.Storage;

/// <summary>
/// Stored bytes failed their checksum or are malformed. The corrupt data is never returned; the message names
/// the file and offset so an operator can find it.
/// </summary>
public sealed class CorruptionException : IOException
{
    /// <summary>Creates the exception with a message that names where the corruption is.</summary>
    public CorruptionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that revealed the corruption.</summary>
    public CorruptionException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

using System.Text;

namespace Cairn.Client.Datastore;

/// <summary>
/// How every datastore stores a <see cref="Key"/>: the UTF-8 bytes of its string, strictly encoded, so the local and
/// the network datastore read and write the same bytes, and a key with a lone surrogate (which has no UTF-8 form)
/// never collides with one that has U+FFFD in its place.
/// </summary>
internal static class DatastoreKeyBytes
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The stored bytes of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key string is not valid UTF-16 (it has a lone surrogate).</exception>
    public static byte[] Encode(Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Encode(key.ToString());
    }

    /// <summary>The stored bytes of a key string (or a prefix of one).</summary>
    /// <exception cref="ArgumentException">The string is not valid UTF-16 (it has a lone surrogate).</exception>
    public static byte[] Encode(string text)
    {
        try
        {
            return Strict.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"The key \"{text}\" has no UTF-8 form.", nameof(text), e);
        }
    }

    /// <summary>The key string stored as <paramref name="bytes"/>.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes) => Strict.GetString(bytes);
}

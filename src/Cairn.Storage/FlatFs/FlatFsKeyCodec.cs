using System.Text;

namespace Cairn.Storage.FlatFs;

/// <summary>
/// Maps keys to file names. A key that go-ds-flatfs accepts (<c>/</c> then one or more of <c>0-9 A-Z + - _ =</c>)
/// becomes exactly the go-ds-flatfs name, <c>{key without the slash}.data</c>, sharded on the key without its
/// slash. Every other key becomes <c>.{lower-case base32 of the key bytes}.kv</c>, sharded on the base32 text: it
/// cannot collide with a go-ds-flatfs name (those never contain a lower-case letter or a dot before <c>.data</c>),
/// and go-ds-flatfs skips it, as it skips every name that starts with a dot.
/// </summary>
internal static class FlatFsKeyCodec
{
    /// <summary>The extension go-ds-flatfs gives every block file.</summary>
    public const string DataExtension = ".data";

    /// <summary>The marker that starts the name of a key go-ds-flatfs does not accept.</summary>
    public const char EncodedMarker = '.';

    /// <summary>The extension of the name of a key go-ds-flatfs does not accept.</summary>
    public const string EncodedExtension = ".kv";

    /// <summary>The longest file name Linux file systems accept, in bytes.</summary>
    public const int MaxFileNameBytes = 255;

    /// <summary>
    /// The longest key whose name fits <see cref="MaxFileNameBytes"/> however it is encoded: base32 of 156 bytes is
    /// 250 characters, plus the marker and extension is 254.
    /// </summary>
    public const int MaxKeySize = 156;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>Whether go-ds-flatfs accepts <paramref name="key"/>: a slash, then one or more of <c>0-9 A-Z + - _ =</c>.</summary>
    public static bool IsFlatFsKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < 2 || key[0] != (byte)'/')
        {
            return false;
        }

        foreach (var b in key[1..])
        {
            if (!IsFlatFsChar(b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The file name of <paramref name="key"/> and the text its shard directory is computed from, or false when the
    /// name would be longer than <see cref="MaxFileNameBytes"/> (so no such file can exist).
    /// </summary>
    public static bool TryEncode(ReadOnlySpan<byte> key, out string shardInput, out string fileName)
    {
        if (IsFlatFsKey(key))
        {
            shardInput = Encoding.ASCII.GetString(key[1..]);
            fileName = shardInput + DataExtension;
        }
        else
        {
            shardInput = ToBase32(key);
            fileName = EncodedMarker + shardInput + EncodedExtension;
        }

        return fileName.Length <= MaxFileNameBytes;
    }

    /// <summary>
    /// The key a file name stands for and the text its shard directory is computed from, or false for a name that
    /// is no key's: temp files, metadata and any name that is not exactly what <see cref="TryEncode"/> produces.
    /// </summary>
    public static bool TryDecode(string fileName, out byte[] key, out string shardInput)
    {
        key = [];
        shardInput = string.Empty;
        if (fileName.EndsWith(DataExtension, StringComparison.Ordinal) && fileName.Length > DataExtension.Length)
        {
            var noSlash = fileName[..^DataExtension.Length];
            foreach (var c in noSlash)
            {
                if (c > 0x7F || !IsFlatFsChar((byte)c))
                {
                    return false;
                }
            }

            key = Encoding.ASCII.GetBytes("/" + noSlash);
            shardInput = noSlash;
            return true;
        }

        if (fileName.Length >= 1 + EncodedExtension.Length
            && fileName[0] == EncodedMarker
            && fileName.EndsWith(EncodedExtension, StringComparison.Ordinal))
        {
            var text = fileName[1..^EncodedExtension.Length];
            if (TryFromBase32(text, out var decoded) && !IsFlatFsKey(decoded))
            {
                key = decoded;
                shardInput = text;
                return true;
            }
        }

        return false;
    }

    /// <summary>Lower-case RFC 4648 base32 without padding.</summary>
    internal static string ToBase32(ReadOnlySpan<byte> data)
    {
        var builder = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                builder.Append(Alphabet[(buffer >> bits) & 31]);
            }
        }

        if (bits > 0)
        {
            builder.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return builder.ToString();
    }

    /// <summary>Decodes what <see cref="ToBase32"/> produces and nothing else (no padding, no stray bits).</summary>
    internal static bool TryFromBase32(string text, out byte[] data)
    {
        data = [];
        var tail = text.Length % 8;
        if (tail is 1 or 3 or 6)
        {
            return false;
        }

        var result = new byte[text.Length * 5 / 8];
        int buffer = 0, bits = 0, n = 0;
        foreach (var c in text)
        {
            var value = c switch
            {
                >= 'a' and <= 'z' => c - 'a',
                >= '2' and <= '7' => c - '2' + 26,
                _ => -1,
            };
            if (value < 0)
            {
                return false;
            }

            buffer = ((buffer << 5) | value) & 0xFFFF;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                result[n++] = (byte)(buffer >> bits);
            }
        }

        if ((buffer & ((1 << bits) - 1)) != 0)
        {
            return false; // a canonical encoding pads its last character with zero bits
        }

        data = result;
        return true;
    }

    private static bool IsFlatFsChar(byte b) =>
        b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'A' and <= (byte)'Z') or (byte)'+' or (byte)'-' or (byte)'_' or (byte)'=';
}

namespace Cairn.Kv.Keyspace;

/// <summary>
/// Redis's glob matching (<c>stringmatchlen</c>) for KEYS and SCAN MATCH: <c>*</c>, <c>?</c>, <c>[abc]</c>,
/// <c>[^a]</c>, <c>[a-z]</c>, and <c>\</c> to escape.
/// </summary>
public static class GlobPattern
{
    /// <summary>Whether <paramref name="text"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text) => Match(pattern, text, 0);

    private static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, int depth)
    {
        if (depth > 1000)
        {
            return false; // a pathological pattern: refuse rather than recurse without bound
        }

        while (!pattern.IsEmpty)
        {
            switch (pattern[0])
            {
                case (byte)'*':
                    while (pattern.Length > 1 && pattern[1] == (byte)'*')
                    {
                        pattern = pattern[1..];
                    }

                    if (pattern.Length == 1)
                    {
                        return true;
                    }

                    for (var i = 0; i <= text.Length; i++)
                    {
                        if (Match(pattern[1..], text[i..], depth + 1))
                        {
                            return true;
                        }
                    }

                    return false;
                case (byte)'?':
                    if (text.IsEmpty)
                    {
                        return false;
                    }

                    text = text[1..];
                    break;
                case (byte)'[':
                    {
                        if (text.IsEmpty)
                        {
                            return false;
                        }

                        pattern = pattern[1..];
                        var negate = !pattern.IsEmpty && pattern[0] == (byte)'^';
                        if (negate)
                        {
                            pattern = pattern[1..];
                        }

                        var matched = false;
                        while (!pattern.IsEmpty && pattern[0] != (byte)']')
                        {
                            if (pattern[0] == (byte)'\\' && pattern.Length >= 2)
                            {
                                pattern = pattern[1..];
                                matched |= pattern[0] == text[0];
                            }
                            else if (pattern.Length >= 3 && pattern[1] == (byte)'-')
                            {
                                var (low, high) = pattern[0] <= pattern[2] ? (pattern[0], pattern[2]) : (pattern[2], pattern[0]);
                                matched |= text[0] >= low && text[0] <= high;
                                pattern = pattern[2..];
                            }
                            else
                            {
                                matched |= pattern[0] == text[0];
                            }

                            pattern = pattern[1..];
                        }

                        if (matched == negate)
                        {
                            return false;
                        }

                        text = text[1..];
                        break;
                    }

                case (byte)'\\' when pattern.Length >= 2:
                    pattern = pattern[1..];
                    if (text.IsEmpty || pattern[0] != text[0])
                    {
                        return false;
                    }

                    text = text[1..];
                    break;
                default:
                    if (text.IsEmpty || pattern[0] != text[0])
                    {
                        return false;
                    }

                    text = text[1..];
                    break;
            }

            if (!pattern.IsEmpty)
            {
                pattern = pattern[1..];
            }
        }

        return text.IsEmpty;
    }
}

namespace Cairn.Kv.Resp;

/// <summary>
/// Splits an inline request line into arguments the way Redis's <c>sdssplitargs</c> does: white space separates
/// arguments; "double quotes" allow \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' allow \'.
/// </summary>
internal static class InlineSplitter
{
    public static bool TrySplit(ReadOnlySpan<byte> line, RespRequest request)
    {
        Span<byte> scratch = stackalloc byte[256];
        var current = new List<byte>(); // inline requests are for people typing: clarity over speed
        var i = 0;
        while (true)
        {
            while (i < line.Length && IsSpace(line[i]))
            {
                i++;
            }

            if (i >= line.Length)
            {
                return true;
            }

            current.Clear();
            var inDouble = false;
            var inSingle = false;
            var done = false;
            while (!done)
            {
                if (inDouble)
                {
                    if (i >= line.Length)
                    {
                        return false;
                    }

                    if (line[i] == '\\' && i + 3 < line.Length && line[i + 1] == 'x' && IsHex(line[i + 2]) && IsHex(line[i + 3]))
                    {
                        current.Add((byte)((HexValue(line[i + 2]) << 4) | HexValue(line[i + 3])));
                        i += 3;
                    }
                    else if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        current.Add(line[i] switch { (byte)'n' => (byte)'\n', (byte)'r' => (byte)'\r', (byte)'t' => (byte)'\t', (byte)'b' => 8, (byte)'a' => 7, _ => line[i] });
                    }
                    else if (line[i] == '"')
                    {
                        // A closing quote must be followed by white space or the end.
                        if (i + 1 < line.Length && !IsSpace(line[i + 1]))
                        {
                            return false;
                        }

                        done = true;
                    }
                    else
                    {
                        current.Add(line[i]);
                    }
                }
                else if (inSingle)
                {
                    if (i >= line.Length)
                    {
                        return false;
                    }

                    if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] == '\'')
                    {
                        i++;
                        current.Add((byte)'\'');
                    }
                    else if (line[i] == '\'')
                    {
                        if (i + 1 < line.Length && !IsSpace(line[i + 1]))
                        {
                            return false;
                        }

                        done = true;
                    }
                    else
                    {
                        current.Add(line[i]);
                    }
                }
                else if (i >= line.Length || IsSpace(line[i]))
                {
                    done = true;
                }
                else if (line[i] == '"')
                {
                    inDouble = true;
                }
                else if (line[i] == '\'')
                {
                    inSingle = true;
                }
                else
                {
                    current.Add(line[i]);
                }

                if (i < line.Length)
                {
                    i++;
                }
            }

            var bytes = current.Count <= scratch.Length ? scratch[..current.Count] : new byte[current.Count];
            for (var k = 0; k < current.Count; k++)
            {
                bytes[k] = current[k];
            }

            request.AddInline(bytes);
        }
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}

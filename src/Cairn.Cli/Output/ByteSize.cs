using System.Globalization;

namespace Cairn.Cli.Output;

/// <summary>Formats byte counts for people: <c>512 B</c>, <c>1.5 KiB</c>, <c>12.3 MiB</c>, <c>2.0 GiB</c>.</summary>
public static class ByteSize
{
    private static readonly string[] Units = ["KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary>Formats <paramref name="bytes"/> in binary units with one decimal.</summary>
    public static string Format(long bytes)
    {
        if (bytes is > -1024 and < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        var value = (double)bytes;
        var unit = -1;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {Units[unit]}");
    }

    /// <summary>Formats a rate of <paramref name="bytes"/> over <paramref name="elapsed"/>, e.g. <c>45.2 MiB/s</c>.</summary>
    public static string FormatRate(long bytes, TimeSpan elapsed) =>
        elapsed <= TimeSpan.Zero ? "-" : Format((long)(bytes / elapsed.TotalSeconds)) + "/s";
}

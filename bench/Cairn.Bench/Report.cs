using System.Globalization;
using System.Text;

namespace Cairn.Bench;

/// <summary>One line of the report. Rates are null where they mean nothing (restart, fio's op rate).</summary>
internal sealed record ResultRow(string Workload, string Engine, int Writers)
{
    public double? OpsPerSecond { get; init; }

    public double? BytesPerSecond { get; init; }

    public double? P50Nanos { get; init; }

    public double? P99Nanos { get; init; }

    public string Notes { get; init; } = "";

    public bool Failed { get; init; }

    public static ResultRow FromTimed(string workload, string engine, int writers, TimedResult result, string notes = "") =>
        new(workload, engine, writers)
        {
            OpsPerSecond = result.OpsPerSecond,
            BytesPerSecond = result.Bytes > 0 ? result.BytesPerSecond : null,
            P50Nanos = result.Latency.PercentileNanos(50),
            P99Nanos = result.Latency.PercentileNanos(99),
            Notes = notes,
        };
}

/// <summary>The Markdown report: one table and the ratios the storage targets are stated in.</summary>
internal static class Report
{
    public static string Render(IReadOnlyList<ResultRow> rows, IReadOnlyList<string> ratios, string header)
    {
        var sb = new StringBuilder();
        sb.Append(header).Append('\n').Append('\n');
        sb.Append("| workload | engine/policy | writers | ops/s | MB/s | p50 | p99 | notes |\n");
        sb.Append("|---|---|--:|--:|--:|--:|--:|---|\n");
        foreach (var row in rows)
        {
            sb.Append("| ").Append(row.Workload)
                .Append(" | ").Append(row.Engine)
                .Append(" | ").Append(row.Writers > 0 ? row.Writers.ToString(CultureInfo.InvariantCulture) : "-")
                .Append(" | ").Append(Rate(row.OpsPerSecond))
                .Append(" | ").Append(Megabytes(row.BytesPerSecond))
                .Append(" | ").Append(Latency(row.P50Nanos))
                .Append(" | ").Append(Latency(row.P99Nanos))
                .Append(" | ").Append(row.Notes.Replace("|", "\\|", StringComparison.Ordinal))
                .Append(" |\n");
        }

        if (ratios.Count > 0)
        {
            sb.Append('\n');
            foreach (var line in ratios)
            {
                sb.Append("- ").Append(line).Append('\n');
            }
        }

        return sb.ToString();
    }

    public static string Rate(double? perSecond) => perSecond switch
    {
        null => "-",
        >= 100 => perSecond.Value.ToString("N0", CultureInfo.InvariantCulture),
        _ => perSecond.Value.ToString("N1", CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes per second as MB/s (10^6 bytes).</summary>
    public static string Megabytes(double? bytesPerSecond) => bytesPerSecond switch
    {
        null => "-",
        _ => (bytesPerSecond.Value / 1e6).ToString(bytesPerSecond.Value >= 1e8 ? "N0" : "N1", CultureInfo.InvariantCulture),
    };

    public static string Latency(double? nanos) => nanos switch
    {
        null => "-",
        < 1_000 => nanos.Value.ToString("N0", CultureInfo.InvariantCulture) + " ns",
        < 1_000_000 => (nanos.Value / 1e3).ToString("N1", CultureInfo.InvariantCulture) + " µs",
        < 1_000_000_000 => (nanos.Value / 1e6).ToString("N2", CultureInfo.InvariantCulture) + " ms",
        _ => (nanos.Value / 1e9).ToString("N2", CultureInfo.InvariantCulture) + " s",
    };

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("N1", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("N1", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("N1", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    public static string F(double value, string format = "N2") => value.ToString(format, CultureInfo.InvariantCulture);
}

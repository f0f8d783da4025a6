using System.Globalization;

namespace Cairn.Bench;

/// <summary>The options of the <c>storage</c> command.</summary>
internal sealed record StorageOptions
{
    /// <summary>Every workload, in the order they run.</summary>
    public static readonly string[] AllWorkloads = ["fio", "put-1k", "put-256k", "get-random", "scan-prefix", "restart"];

    /// <summary>The directory runs create their stores under; null for <c>./bench-data</c>.</summary>
    public string? Dir { get; init; }

    /// <summary>Short durations and small data sets: shows the benchmark works, measures nothing reliably.</summary>
    public bool Quick { get; init; }

    /// <summary>Keys of the restart workload; null for 1,000,000 (100,000 with --quick).</summary>
    public long? Keys { get; init; }

    /// <summary>Keys loaded for get-random and scan-prefix; null for 100,000 (10,000 with --quick).</summary>
    public long? LoadKeys { get; init; }

    /// <summary>The workloads to run; empty for all.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    /// <summary>A file to write the Markdown report to as well, or null.</summary>
    public string? Out { get; init; }

    /// <summary>The measured window of each timed run; null for 5 s (1 s with --quick).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>The warm-up before each measured window; null for 1 s (0.25 s with --quick).</summary>
    public TimeSpan? Warmup { get; init; }

    /// <summary>The writer (and reader) count of the concurrent runs; default 16.</summary>
    public int Threads { get; init; } = 16;

    public TimeSpan EffectiveDuration => Duration ?? TimeSpan.FromSeconds(Quick ? 1 : 5);

    public TimeSpan EffectiveWarmup => Warmup ?? TimeSpan.FromSeconds(Quick ? 0.25 : 1);

    public long RestartKeys => Keys ?? (Quick ? 100_000 : 1_000_000);

    /// <summary>FlatFs restart keys: one file per key makes a million slow to create, so at most 100,000 (10,000 quick).</summary>
    public long FlatFsRestartKeys => Math.Min(RestartKeys, Quick ? 10_000 : 100_000);

    public long EffectiveLoadKeys => LoadKeys ?? (Quick ? 10_000 : 100_000);

    public bool Runs(string workload) => Only.Count == 0 || Only.Contains(workload, StringComparer.Ordinal);

    public const string Usage = """
        usage: cairn-bench storage [options]
          --dir D            where stores are created (default ./bench-data; use the disk you want measured)
          --quick            1 s runs and small data sets: a smoke test, not a measurement
          --keys N           keys of the restart workload (default 1,000,000; quick 100,000)
          --load-keys N      keys loaded for get-random and scan-prefix (default 100,000; quick 10,000)
          --only a,b         run only these workloads: fio, put-1k, put-256k, get-random, scan-prefix, restart
          --duration S       measured seconds per run (default 5; quick 1)
          --warmup S         warm-up seconds before each measured window (default 1; quick 0.25)
          --threads N        writers/readers of the concurrent runs (default 16)
          --out FILE         also write the Markdown report to FILE
        """;

    /// <summary>Parses the arguments after <c>storage</c>.</summary>
    /// <exception cref="ArgumentException">An argument is unknown or malformed.</exception>
    public static StorageOptions Parse(IReadOnlyList<string> args)
    {
        var options = new StorageOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            options = arg switch
            {
                "--dir" => options with { Dir = Value() },
                "--quick" => options with { Quick = true },
                "--keys" => options with { Keys = PositiveLong(arg, Value()) },
                "--load-keys" => options with { LoadKeys = PositiveLong(arg, Value()) },
                "--only" => options with { Only = ParseOnly(Value()) },
                "--out" => options with { Out = Value() },
                "--duration" => options with { Duration = Seconds(arg, Value(), allowZero: false) },
                "--warmup" => options with { Warmup = Seconds(arg, Value(), allowZero: true) },
                "--threads" => options with { Threads = (int)Math.Min(PositiveLong(arg, Value()), 1024) },
                _ => throw new ArgumentException($"Unknown option {arg}."),
            };
        }

        return options;
    }

    private static string[] ParseOnly(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in names)
        {
            if (!AllWorkloads.Contains(name, StringComparer.Ordinal))
            {
                throw new ArgumentException($"Unknown workload '{name}'; known: {string.Join(", ", AllWorkloads)}.");
            }
        }

        return names;
    }

    private static long PositiveLong(string option, string text) =>
        long.TryParse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{option} needs a positive whole number, not '{text}'.");

    private static TimeSpan Seconds(string option, string text, bool allowZero) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && (value > 0 || (allowZero && value == 0)) && value < 86_400
            ? TimeSpan.FromSeconds(value)
            : throw new ArgumentException($"{option} needs seconds, not '{text}'.");
}

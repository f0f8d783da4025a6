using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Cairn.Bench.Micro;

/// <summary>
/// <c>cairn-bench micro</c>: BenchmarkDotNet over the RESP hot path. Runs in process (no generated project to
/// build) with a short job by default, so a run takes a few minutes; pass <c>--job default</c> for BenchmarkDotNet's
/// full statistics. Every benchmark reports allocated bytes per operation (MemoryDiagnoser).
/// </summary>
internal static class MicroBenchmarks
{
    public static void Run(string[] args)
    {
        if (!args.Contains("--filter") && !args.Contains("-f"))
        {
            args = [.. args, "--filter", "*"];
        }

        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.JoinSummary);
        BenchmarkSwitcher.FromTypes([typeof(RespParseBenchmarks), typeof(KvDispatchBenchmarks)]).Run(args, config);
    }
}

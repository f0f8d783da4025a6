using Cairn.Bench;
using Cairn.Bench.Micro;

const string Usage = """
    usage: cairn-bench <command> [options]
    commands:
      storage    LogStore against FlatFs (puts, gets, scans, restart) and fio's sequential write bandwidth
      put-load   replicated puts against etcd's HTTP gateway or a Cairn Raft register (bench/raft-vs-etcd.sh)
      idle-groups  what 1,000 idle Raft groups cost per host (three hosts in process, real RPC on loopback)
      snapshot-catchup  how fast a follower 1 GiB behind catches up by snapshot (three hosts, real RPC on loopback)
      micro      BenchmarkDotNet micro-benchmarks of the RESP hot path (parse, dispatch GET/SET) with allocations;
                 BenchmarkDotNet options follow, e.g. micro --filter '*Dispatch*' (default: --filter *)
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Usage);
    Console.WriteLine(StorageOptions.Usage);
    return args.Length == 0 ? 2 : 0;
}

switch (args[0])
{
    case "put-load":
        return PutLoad.Run(args[1..]);

    case "idle-groups":
        return await IdleGroups.RunAsync(args[1..]);

    case "snapshot-catchup":
        return await SnapshotCatchUp.RunAsync(args[1..]);

    case "micro":
        MicroBenchmarks.Run(args[1..]);
        return 0;

    case "storage":
        StorageOptions options;
        try
        {
            options = StorageOptions.Parse(args[1..]);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(StorageOptions.Usage);
            return 2;
        }

        var report = new StorageBenchmark(options).Run();
        Console.WriteLine();
        Console.WriteLine(report);
        if (options.Out is { } outFile)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(outFile));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            File.WriteAllText(outFile, report);
            Console.Error.WriteLine($"report written to {outFile}");
        }

        return 0;

    default:
        Console.Error.WriteLine($"Unknown command '{args[0]}'.");
        Console.Error.WriteLine(Usage);
        return 2;
}

using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using BenchmarkDotNet.Attributes;
using Cairn.Kv.Keyspace;
using Cairn.Kv.Resp;
using Cairn.Kv.Server;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Storage.Memory;

namespace Cairn.Bench.Micro;

/// <summary>Parsing a GET and a SET the way redis-benchmark sends them (3-byte values).</summary>
[MemoryDiagnoser]
public class RespParseBenchmarks
{
    private readonly RespRequest _request = new();
    private readonly RespLimits _limits = new();
    private readonly byte[] _get = Encoding.ASCII.GetBytes("*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n");
    private readonly byte[] _set = Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n");

    [Benchmark]
    public int ParseGet()
    {
        RespParser.TryParse(_get, _request, _limits, out var consumed, out _);
        return consumed;
    }

    [Benchmark]
    public int ParseSet()
    {
        RespParser.TryParse(_set, _request, _limits, out var consumed, out _);
        return consumed;
    }
}

/// <summary>Which engine the keyspace of a dispatch benchmark lives in.</summary>
public enum KvEngineKind
{
    /// <summary><see cref="MemoryEngine"/>: the keyspace and server code alone.</summary>
    Memory,

    /// <summary><see cref="LogStore"/> with <see cref="SyncPolicy.None"/>: appends and index, no fsync.</summary>
    LogStoreNoSync,
}

/// <summary>
/// One round of a connection without its socket: parse, look the command up, run it against
/// <see cref="LocalKvBackend"/> and write the reply into the connection's output pipe (over
/// <see cref="Stream.Null"/>), then flush. "x16" rounds hold 16 requests, as redis-benchmark -P 16 sends them;
/// their figures are per request.
/// </summary>
[MemoryDiagnoser]
public class KvDispatchBenchmarks
{
    private const int Pipelined = 16;
    private string? _directory;
    private LocalKvBackend _backend = null!;
    private RespServer _server = null!;
    private ClientConnection _connection = null!;
    private PipeWriter _output = null!;
    private RespLimits _limits = null!;
    private ReadOnlySequence<byte> _get;
    private ReadOnlySequence<byte> _set;
    private ReadOnlySequence<byte> _get16;
    private ReadOnlySequence<byte> _set16;

    [Params(KvEngineKind.Memory, KvEngineKind.LogStoreNoSync)]
    public KvEngineKind Engine { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        IKvEngine engine;
        if (Engine == KvEngineKind.Memory)
        {
            engine = new MemoryEngine();
        }
        else
        {
            _directory = Path.Combine(Path.GetTempPath(), "cairn-bench-micro-" + Guid.NewGuid().ToString("N"));
            engine = LogStore.Open(_directory, new LogStoreOptions { Sync = SyncPolicy.None });
        }

        _backend = new LocalKvBackend(engine, activeExpiry: false);
        _server = new RespServer(_backend, log: _ => { });
        _connection = new ClientConnection(_server, Stream.Null, 1);
        _output = (PipeWriter)_connection.Output;
        _limits = _server.Options.Limits;
        const string get = "*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n";
        const string set = "*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n";
        _get = Sequence(get);
        _set = Sequence(set);
        _get16 = Sequence(string.Concat(Enumerable.Repeat(get, Pipelined)));
        _set16 = Sequence(string.Concat(Enumerable.Repeat(set, Pipelined)));
        Round(_set); // the key GET reads
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _backend.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Benchmark]
    public long Get() => Round(_get);

    [Benchmark]
    public long Set() => Round(_set);

    [Benchmark(OperationsPerInvoke = Pipelined)]
    public long GetX16() => Round(_get16);

    [Benchmark(OperationsPerInvoke = Pipelined)]
    public long SetX16() => Round(_set16);

    private long Round(ReadOnlySequence<byte> requests)
    {
        var consumed = _connection.ProcessRound(requests, _limits, out _, out _, out _);
        var flush = _output.FlushAsync(); // completes at once over Stream.Null
        if (!flush.IsCompleted)
        {
            flush.AsTask().GetAwaiter().GetResult();
        }

        return consumed;
    }

    private static ReadOnlySequence<byte> Sequence(string text) => new(Encoding.ASCII.GetBytes(text));
}

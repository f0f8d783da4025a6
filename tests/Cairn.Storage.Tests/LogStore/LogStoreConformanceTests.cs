using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Testing;

namespace Cairn.Storage.Tests.LogStore;

public sealed class LogStoreGroupCommitTests : KvEngineConformance
{
    protected override IKvEngine OpenEngine(string directory) =>
        Cairn.Storage.LogStore.LogStore.Open(directory, new LogStoreOptions { Sync = SyncPolicy.GroupCommit });
}

public sealed class LogStoreAlwaysTests : KvEngineConformance
{
    protected override IKvEngine OpenEngine(string directory) =>
        Cairn.Storage.LogStore.LogStore.Open(directory, new LogStoreOptions { Sync = SyncPolicy.Always });
}

public sealed class LogStoreNoSyncSmallSegmentsTests : KvEngineConformance
{
    // Tiny segments make every test cross many rotations and hint files.
    protected override IKvEngine OpenEngine(string directory) =>
        Cairn.Storage.LogStore.LogStore.Open(directory, new LogStoreOptions { Sync = SyncPolicy.None, SegmentSize = 8192 });
}

public sealed class LogStorePeriodicTests : KvEngineConformance
{
    protected override IKvEngine OpenEngine(string directory) =>
        Cairn.Storage.LogStore.LogStore.Open(directory, new LogStoreOptions { Sync = SyncPolicy.Periodic, SyncInterval = TimeSpan.FromMilliseconds(10) });
}

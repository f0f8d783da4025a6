using Cairn.Storage.FlatFs;
using Cairn.Testing;

namespace Cairn.Storage.Tests.FlatFs;

public sealed class FlatFsEngineTests : KvEngineConformance
{
    protected override IKvEngine OpenEngine(string directory) => new FlatFsEngine(directory, new FlatFsOptions { Sync = true });
}

using Cairn.Storage;
using Cairn.Storage.Memory;
using Cairn.Testing;

namespace Cairn.Storage.Tests;

public sealed class MemoryEngineTests : KvEngineConformance
{
    protected override bool IsDurable => false;

    protected override IKvEngine OpenEngine(string directory) => new MemoryEngine();
}

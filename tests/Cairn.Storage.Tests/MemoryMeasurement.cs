namespace Cairn.Storage.Tests;

/// <summary>
/// Test classes that measure the process's heap run alone: other tests allocating in parallel would land in the
/// measurement.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    public const string Name = "memory measurement (not parallel)";
}

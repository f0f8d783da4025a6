// Each test runs a whole cluster of processes; on a small machine two at once would starve each other's elections.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

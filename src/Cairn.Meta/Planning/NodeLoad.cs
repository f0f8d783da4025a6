namespace Cairn.Meta.Planning;

/// <summary>What a node reported holding, as input to the <see cref="Rebalancer"/>. Used to break ties between
/// otherwise equal placements (the emptier node wins).</summary>
/// <param name="Keys">Keys stored on the node, over all its replicas.</param>
/// <param name="Bytes">Bytes stored on the node, over all its replicas.</param>
public readonly record struct NodeLoad(long Keys, long Bytes);

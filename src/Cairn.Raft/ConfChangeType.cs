namespace Cairn.Raft;

/// <summary>What a single-server membership change does.</summary>
public enum ConfChangeType
{
    /// <summary>Adds a voter, or promotes a learner to voter.</summary>
    AddVoter = 0,

    /// <summary>Adds a learner (receives the log, never votes nor counts toward commit), or demotes a voter.</summary>
    AddLearner = 1,

    /// <summary>Removes a voter or a learner from the group.</summary>
    RemoveNode = 2,
}

namespace Cairn.Raft.Hosting;

/// <summary>A Raft message of one group, as hosts exchange them: many groups' messages share a connection.</summary>
/// <param name="GroupId">The group the message belongs to.</param>
/// <param name="Message">The message; its <see cref="Message.From"/> and <see cref="Message.To"/> are node ids.</param>
/// <param name="Hibernate">
/// Not a Raft message but a host's notice that it, leading the group in <see cref="Message.Term"/>, stops ticking it
/// because it is idle; the follower stops ticking it too until anything for the group arrives.
/// </param>
public readonly record struct GroupMessage(ulong GroupId, Message Message, bool Hibernate = false);

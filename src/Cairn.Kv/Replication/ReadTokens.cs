namespace Cairn.Kv.Replication;

/// <summary>
/// What the reads of the command running on this thread depend on: the leadership check they joined and any write,
/// still in flight, whose value they saw. The front end takes them after each command and waits for them before it
/// replies, so no reply shows a value that was not committed (see <see cref="ReplicatedKvBackend.TakeReadTokens"/>).
/// </summary>
internal static class ReadTokens
{
    [ThreadStatic]
    private static ulong t_first;

    [ThreadStatic]
    private static ulong t_last;

    public static void Note(ulong token)
    {
        if (t_first == 0 || token < t_first)
        {
            t_first = token;
        }

        if (token > t_last)
        {
            t_last = token;
        }
    }

    public static (ulong First, ulong Last) Take()
    {
        var taken = (t_first, t_last);
        t_first = 0;
        t_last = 0;
        return taken;
    }
}

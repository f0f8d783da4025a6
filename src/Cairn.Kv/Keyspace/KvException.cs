namespace Cairn.Kv.Keyspace;

/// <summary>
/// A command failed in a way the client is told about: the message is the Redis error reply without its dash,
/// starting with the error code (<c>ERR</c>, <c>WRONGTYPE</c> …), worded as Redis words it.
/// </summary>
public sealed class KvException : Exception
{
    /// <summary>Creates the exception with a Redis-style message such as "ERR syntax error".</summary>
    public KvException(string message)
        : base(message)
    {
    }

    /// <summary>"ERR value is not an integer or out of range".</summary>
    public static KvException NotAnInteger() => new("ERR value is not an integer or out of range");

    /// <summary>"ERR increment or decrement would overflow".</summary>
    public static KvException Overflow() => new("ERR increment or decrement would overflow");

    /// <summary>"ERR syntax error".</summary>
    public static KvException Syntax() => new("ERR syntax error");
}

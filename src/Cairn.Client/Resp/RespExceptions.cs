namespace Cairn.Client.Resp;

/// <summary>The server answered a command with an error reply (<c>-ERR …</c>, <c>WRONGPASS …</c>).</summary>
public sealed class RespServerException : Exception
{
    /// <summary>Creates the exception with the server's error text, which starts with its code.</summary>
    public RespServerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with no message.</summary>
    public RespServerException()
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public RespServerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The error code: the first word of the message (<c>ERR</c>, <c>NOAUTH</c>, <c>WRONGPASS</c> …).</summary>
    public string Code => Message.Split(' ', 2)[0];
}

/// <summary>
/// The server could not be reached or the connection failed: refused, timed out, closed mid-reply. An
/// <see cref="IOException"/>, since that is what it is; the request may or may not have been applied.
/// </summary>
public class RespConnectionException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    public RespConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with no message.</summary>
    public RespConnectionException()
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public RespConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The server sent something that is not valid RESP, or not the reply the command has.</summary>
public sealed class RespProtocolException : RespConnectionException
{
    /// <summary>Creates the exception with a message.</summary>
    public RespProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with no message.</summary>
    public RespProtocolException()
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public RespProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

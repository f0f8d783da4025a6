namespace Cairn.Client.Resp;

/// <summary>
/// A cluster command was redirected (<c>-MOVED</c>, <c>-ASK</c>) more times than
/// <see cref="ClusterRespClientOptions.MaxRedirects"/> allows: the cluster's slot map keeps changing, or its nodes
/// disagree about who serves the slot.
/// </summary>
public sealed class ClusterRedirectException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public ClusterRedirectException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with no message.</summary>
    public ClusterRedirectException()
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ClusterRedirectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

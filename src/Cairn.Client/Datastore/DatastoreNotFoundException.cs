namespace Cairn.Client.Datastore;

/// <summary>
/// The key asked for is not in the datastore: go-datastore's <c>ErrNotFound</c>. Thrown by
/// <see cref="IDatastore.GetAsync"/> and <see cref="IDatastore.GetSizeAsync"/>, and by nothing else.
/// </summary>
public sealed class DatastoreNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="key"/>.</summary>
    public DatastoreNotFoundException(Key key)
        : base($"datastore: key not found: {key}")
    {
        Key = key;
    }

    /// <summary>Creates the exception with no key.</summary>
    public DatastoreNotFoundException()
        : base("datastore: key not found")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public DatastoreNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public DatastoreNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The key that was not found, when known.</summary>
    public Key? Key { get; }
}

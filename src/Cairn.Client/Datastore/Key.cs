using System.Text;

namespace Cairn.Client.Datastore;

/// <summary>
/// A datastore key with go-datastore's semantics: a slash-separated path of namespaces, always rooted and clean
/// (<c>/Comedy/MontyPython/Actor:JohnCleese</c>). A namespace may carry a type, <c>Type:Name</c>.
/// </summary>
/// <remarks>
/// Keys compare equal when their strings are equal. <see cref="CompareTo"/> and <see cref="Less"/> order keys
/// namespace by namespace, as go-datastore's <c>Key.Less</c> does; that is not the order of the key strings, which
/// is what a query's <see cref="OrderByKey"/> and a storage scan use (see <see cref="KeyStringComparer"/>):
/// <c>/a/b</c> sorts before <c>/a-b</c> by namespaces, after it by string.
/// </remarks>
public sealed class Key : IEquatable<Key>, IComparable<Key>
{
    private readonly string _value;

    /// <summary>Cleans <paramref name="path"/> into a key, as go-datastore's <c>NewKey</c> does.</summary>
    /// <param name="path">Any path; it is rooted, and <c>.</c>, <c>..</c> and repeated or trailing slashes resolved.</param>
    public Key(string? path)
        : this(path ?? string.Empty, isClean: false)
    {
    }

    private Key(string value, bool isClean) => _value = isClean ? value : Clean(value);

    /// <summary>The root key, <c>/</c>.</summary>
    public static Key Root { get; } = new("/", isClean: true);

    /// <summary>
    /// A key from an already clean string, without cleaning it (go-datastore's <c>RawKey</c>). An empty string is the
    /// root.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> does not start with <c>/</c> or ends with one.</exception>
    public static Key Raw(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return Root;
        }

        if (value[0] != '/' || (value.Length > 1 && value[^1] == '/'))
        {
            throw new ArgumentException($"Invalid datastore key: \"{value}\".", nameof(value));
        }

        return new Key(value, isClean: true);
    }

    /// <summary>A key made of <paramref name="namespaces"/>, joined with <c>/</c> and cleaned.</summary>
    public static Key WithNamespaces(IEnumerable<string> namespaces)
    {
        ArgumentNullException.ThrowIfNull(namespaces);
        return new Key(string.Join('/', namespaces));
    }

    /// <summary>
    /// Cleans <paramref name="path"/> as Go's <c>path.Clean("/" + path)</c>: the result starts with <c>/</c>, has no
    /// empty, <c>.</c> or <c>..</c> namespaces and no trailing slash, and is <c>/</c> when nothing remains.
    /// </summary>
    public static string Clean(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "/";
        }

        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            switch (part)
            {
                case "" or ".":
                    break;
                case "..":
                    // Rooted: a ".." at the root stays at the root.
                    if (parts.Count > 0)
                    {
                        parts.RemoveAt(parts.Count - 1);
                    }

                    break;
                default:
                    parts.Add(part);
                    break;
            }
        }

        if (parts.Count == 0)
        {
            return "/";
        }

        var builder = new StringBuilder(path.Length + 1);
        foreach (var part in parts)
        {
            builder.Append('/').Append(part);
        }

        return builder.ToString();
    }

    /// <summary>
    /// The namespaces of the key: <c>/Comedy/MontyPython</c> gives <c>["Comedy", "MontyPython"]</c>. The root has one
    /// empty namespace, as in go-datastore.
    /// </summary>
    public IReadOnlyList<string> Namespaces() => _value.Split('/')[1..];

    /// <summary>The namespaces of the key; the same as <see cref="Namespaces"/>.</summary>
    public IReadOnlyList<string> List() => Namespaces();

    /// <summary>The last namespace: <c>Actor:JohnCleese</c> of <c>/Comedy/MontyPython/Actor:JohnCleese</c>.</summary>
    public string BaseNamespace => _value[(_value.LastIndexOf('/') + 1)..];

    /// <summary>The type of the last namespace: <c>Actor</c> of <c>.../Actor:JohnCleese</c>, empty when it has none.</summary>
    public string Type() => NamespaceType(BaseNamespace);

    /// <summary>The name of the last namespace: <c>JohnCleese</c> of <c>.../Actor:JohnCleese</c>.</summary>
    public string Name() => NamespaceValue(BaseNamespace);

    /// <summary>Whether the key has exactly one namespace (the root counts: it has one, empty).</summary>
    public bool IsTopLevel => Namespaces().Count == 1;

    /// <summary>The parent key: <c>/Comedy</c> of <c>/Comedy/MontyPython</c>; the root of a top-level key.</summary>
    public Key Parent
    {
        get
        {
            var slash = _value.LastIndexOf('/');
            return slash <= 0 ? Root : new Key(_value[..slash]);
        }
    }

    /// <summary>
    /// The type (all but the last <c>:</c>-separated part) of <paramref name="namespace"/>: <c>Music:Song</c> of
    /// <c>Music:Song:Philosopher</c>, empty when there is no <c>:</c>.
    /// </summary>
    public static string NamespaceType(string @namespace)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        var colon = @namespace.LastIndexOf(':');
        return colon < 0 ? string.Empty : @namespace[..colon];
    }

    /// <summary>The value (the last <c>:</c>-separated part) of <paramref name="namespace"/>.</summary>
    public static string NamespaceValue(string @namespace)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        return @namespace[(@namespace.LastIndexOf(':') + 1)..];
    }

    /// <summary>The key with <paramref name="child"/>'s namespaces appended: <c>/a</c> and <c>/b/c</c> give <c>/a/b/c</c>.</summary>
    public Key Child(Key child)
    {
        ArgumentNullException.ThrowIfNull(child);
        if (IsRoot)
        {
            return child;
        }

        return child.IsRoot ? this : new Key(_value + child._value, isClean: true);
    }

    /// <summary>The key with <paramref name="child"/> appended as a path and the result cleaned.</summary>
    public Key ChildString(string child) => new(_value + "/" + child);

    /// <summary>The key with <c>:</c> and <paramref name="name"/> appended to its last namespace, cleaned.</summary>
    public Key Instance(string name) => new(_value + ":" + name);

    /// <summary>The parent joined with this key's <see cref="Type"/>: <c>/Comedy/Actor</c> of <c>/Comedy/Actor:JohnCleese</c>.</summary>
    public Key Path() => new(Parent._value + "/" + Type());

    /// <summary>The key with its namespaces in reverse order.</summary>
    public Key Reverse() => WithNamespaces(Namespaces().Reverse());

    /// <summary>
    /// Whether this key is a strict ancestor of <paramref name="other"/>: <c>/a</c> of <c>/a/b</c>, but not of
    /// <c>/a</c> or <c>/ab</c>. The root is an ancestor of every other key.
    /// </summary>
    public bool IsAncestorOf(Key other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._value.Length <= _value.Length)
        {
            return false;
        }

        return IsRoot || (other._value[_value.Length] == '/' && other._value.StartsWith(_value, StringComparison.Ordinal));
    }

    /// <summary>Whether this key is a strict descendant of <paramref name="other"/>.</summary>
    public bool IsDescendantOf(Key other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return other.IsAncestorOf(this);
    }

    /// <summary>
    /// Whether this key sorts before <paramref name="other"/>, comparing namespace by namespace (each in UTF-8 byte
    /// order); a key sorts before its descendants.
    /// </summary>
    public bool Less(Key other) => CompareTo(other) < 0;

    /// <summary>Compares namespace by namespace, as <see cref="Less"/>; null sorts first.</summary>
    /// <returns>Negative, zero or positive as this key sorts before, with or after <paramref name="other"/>.</returns>
    public int CompareTo(Key? other)
    {
        if (other is null)
        {
            return 1;
        }

        var mine = Namespaces();
        var theirs = other.Namespaces();
        for (var i = 0; i < mine.Count && i < theirs.Count; i++)
        {
            var order = KeyStringComparer.Instance.Compare(mine[i], theirs[i]);
            if (order != 0)
            {
                return order;
            }
        }

        return mine.Count.CompareTo(theirs.Count);
    }

    /// <inheritdoc/>
    public bool Equals(Key? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Key other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);

    /// <summary>The key string, for example <c>/Comedy/MontyPython</c>.</summary>
    public override string ToString() => _value;

    /// <summary>Whether two keys are equal.</summary>
    public static bool operator ==(Key? left, Key? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Whether two keys differ.</summary>
    public static bool operator !=(Key? left, Key? right) => !(left == right);

    /// <summary>Whether <paramref name="left"/> sorts before <paramref name="right"/> by namespaces.</summary>
    public static bool operator <(Key? left, Key? right) => Compare(left, right) < 0;

    /// <summary>Whether <paramref name="left"/> sorts at or before <paramref name="right"/> by namespaces.</summary>
    public static bool operator <=(Key? left, Key? right) => Compare(left, right) <= 0;

    /// <summary>Whether <paramref name="left"/> sorts after <paramref name="right"/> by namespaces.</summary>
    public static bool operator >(Key? left, Key? right) => Compare(left, right) > 0;

    /// <summary>Whether <paramref name="left"/> sorts at or after <paramref name="right"/> by namespaces.</summary>
    public static bool operator >=(Key? left, Key? right) => Compare(left, right) >= 0;

    private bool IsRoot => _value.Length == 1;

    private static int Compare(Key? left, Key? right) => left is null ? (right is null ? 0 : -1) : left.CompareTo(right);
}

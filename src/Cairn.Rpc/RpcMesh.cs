using System.Net;
using Cairn.Rpc.Mesh;
using Microsoft.Extensions.Logging;

namespace Cairn.Rpc;

/// <summary>
/// This node's connections to the other members of a cluster, <b>one TCP connection per pair</b>: of two members,
/// the one whose node id sorts first (<see cref="Dialer"/>: shorter first, then ordinal, so for decimal ids the
/// smaller number) dials and keeps the connection up; the other waits for it and sends over the connection it
/// accepted. <see cref="ChannelTo"/> gives the channel to a member whichever side dialed, so a
/// service calls, sends and streams without caring. Clients that are not members (tools, tests) still dial any
/// server freely; only members' connections follow the rule.
/// </summary>
/// <remarks>
/// A member channel never waits for a connection: with none open (the member is down, restarting, cut off, or this
/// node is still redialing it) sends fail at once with <see cref="RpcStatus.Unavailable"/>. Raft drops and resends;
/// a call being forwarded learns at once rather than at its deadline. When a member dials again while its old
/// connection still looks open here (it restarted, or lost the connection first), the newer connection replaces the
/// older, which is closed. See docs/decisions/0018-one-connection-per-peer-pair.md.
/// </remarks>
public sealed class RpcMesh : IAsyncDisposable
{
    // Copy-on-write: readers (the server's accept path, senders) take the current dictionary without a lock, and
    // AddMember publishes a new one.
    private volatile Dictionary<string, MeshMember> _members = new(StringComparer.Ordinal);
    private readonly Lock _changing = new();
    private readonly RpcServer _server;
    private readonly Random? _jitter;
    private readonly ILogger _logger;
    private readonly string _self;
    private int _started;

    /// <summary>Creates the mesh around this node's <paramref name="server"/>; <see cref="Start"/> begins dialing.</summary>
    /// <param name="server">This node's server, whose options name this node and whose router also serves what members send back over connections this node dialed. A server belongs to at most one mesh.</param>
    /// <param name="members">Every member's node id and RPC address; this node may be listed too and is skipped.</param>
    /// <param name="logger">Where connection events go; defaults to the server's logger.</param>
    /// <param name="jitter">The randomness of reconnect delays; a seeded one gives each member its own seeded generator, for reproducible runs.</param>
    public RpcMesh(RpcServer server, IReadOnlyDictionary<string, EndPoint> members, ILogger? logger = null, Random? jitter = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(members);
        _logger = logger ?? server.Logger;
        _self = server.Options.NodeId;
        _server = server;
        _jitter = jitter;
        // Members in a fixed order, so a seeded jitter hands out the same generators every run.
        foreach (var (id, address) in members.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            ArgumentException.ThrowIfNullOrEmpty(id, nameof(members));
            if (id == _self)
            {
                continue;
            }

            _members[id] = CreateMember(id, address);
        }

        server.Attach(this);
    }

    /// <summary>This node's id.</summary>
    public string NodeId => _self;

    /// <summary>The other members' node ids.</summary>
    public IReadOnlyCollection<string> Members => _members.Keys;

    /// <summary>
    /// Whether, of <paramref name="a"/> and <paramref name="b"/>, node <paramref name="a"/> dials: the id that sorts
    /// first does, the shorter one first and then by ordinal comparison. Both nodes reach the same answer from the
    /// two ids alone; for decimal ids without leading zeros (Raft's) the smaller number dials.
    /// </summary>
    public static bool Dialer(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Length != b.Length ? a.Length < b.Length : string.CompareOrdinal(a, b) < 0;
    }

    /// <summary>Whether this node dials <paramref name="nodeId"/> (rather than waiting for it to dial).</summary>
    public bool Dials(string nodeId) => Dialer(_self, nodeId);

    /// <summary>
    /// Adds a member at run time (a node that joined the cluster): from now on the pair shares one connection like
    /// the others, dialed by the rule of <see cref="Dialer"/>. Adding a member already present does nothing.
    /// </summary>
    /// <returns>Whether the member was new.</returns>
    public bool AddMember(string nodeId, EndPoint address)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        ArgumentNullException.ThrowIfNull(address);
        if (nodeId == _self)
        {
            return false;
        }

        MeshMember member;
        bool started;
        lock (_changing)
        {
            if (_members.ContainsKey(nodeId))
            {
                return false;
            }

            member = CreateMember(nodeId, address);
            _members = new Dictionary<string, MeshMember>(_members, StringComparer.Ordinal) { [nodeId] = member };
            started = _started != 0; // under the lock: Start either saw this member or left it to us, never both
        }

        if (started)
        {
            member.Start();
        }

        return true;
    }

    /// <summary>Starts dialing the members this node dials, and keeps those connections up until disposed.</summary>
    public void Start()
    {
        Dictionary<string, MeshMember> members;
        lock (_changing)
        {
            if (_started != 0)
            {
                throw new InvalidOperationException("the mesh is already started");
            }

            _started = 1;
            members = _members;
        }

        RpcLog.MeshStarted(
            _logger,
            _self,
            string.Join(", ", members.Values.Where(m => m.Dials).Select(m => m.NodeId)),
            string.Join(", ", members.Values.Where(m => !m.Dials).Select(m => m.NodeId)));
        foreach (var member in members.Values)
        {
            member.Start();
        }
    }

    /// <summary>The channel to member <paramref name="nodeId"/>, over the pair's one connection whichever side dialed it.</summary>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is not a member.</exception>
    public IRpcChannel ChannelTo(string nodeId) => Member(nodeId);

    /// <summary>Whether the pair's connection to <paramref name="nodeId"/> is open now.</summary>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is not a member.</exception>
    public bool IsConnected(string nodeId) => Member(nodeId).IsConnected;

    /// <summary>
    /// Closes the connection to <paramref name="nodeId"/> now, whichever side dialed it (fault injection, a partition).
    /// When this node dials, it does not redial for <paramref name="holdOff"/>; when the member dials, it may come
    /// back at once, so a longer cut must also drop the traffic (as <c>RpcRaftTransport.Isolate</c> does).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is not a member.</exception>
    public void Disconnect(string nodeId, TimeSpan holdOff, string reason = "disconnected by this node")
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        Member(nodeId).Disconnect(reason, holdOff);
    }

    /// <summary>Stops dialing and closes the connections this node dialed; the server still owns the accepted ones.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members.Values)
        {
            await member.DisposeAsync();
        }
    }

    /// <summary>Whether <paramref name="nodeId"/> is another member of this mesh.</summary>
    internal bool IsMember(string nodeId) => _members.ContainsKey(nodeId);

    private MeshMember CreateMember(string id, EndPoint address) => Dials(id)
        ? new DialedMember(id, address, _server.Options, _server.Router, _logger, _jitter is null ? Random.Shared : new Random(_jitter.Next()))
        : new AcceptedMember(id, _server.Options, _server);

    private MeshMember Member(string nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        return _members.TryGetValue(nodeId, out var member)
            ? member
            : throw new ArgumentException($"node '{nodeId}' is not a member of node '{_self}''s mesh (members: {string.Join(", ", _members.Keys)})", nameof(nodeId));
    }
}

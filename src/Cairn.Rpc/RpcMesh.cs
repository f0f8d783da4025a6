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
    private readonly Dictionary<string, MeshMember> _members = new(StringComparer.Ordinal);
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
        // Members in a fixed order, so a seeded jitter hands out the same generators every run.
        foreach (var (id, address) in members.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            ArgumentException.ThrowIfNullOrEmpty(id, nameof(members));
            if (id == _self)
            {
                continue;
            }

            _members[id] = Dials(id)
                ? new DialedMember(id, address, server.Options, server.Router, _logger, jitter is null ? Random.Shared : new Random(jitter.Next()))
                : new AcceptedMember(id, server.Options, server);
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

    /// <summary>Starts dialing the members this node dials, and keeps those connections up until disposed.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the mesh is already started");
        }

        RpcLog.MeshStarted(
            _logger,
            _self,
            string.Join(", ", _members.Values.Where(m => m.Dials).Select(m => m.NodeId)),
            string.Join(", ", _members.Values.Where(m => !m.Dials).Select(m => m.NodeId)));
        foreach (var member in _members.Values)
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

    private MeshMember Member(string nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        return _members.TryGetValue(nodeId, out var member)
            ? member
            : throw new ArgumentException($"node '{nodeId}' is not a member of node '{_self}''s mesh (members: {string.Join(", ", _members.Keys)})", nameof(nodeId));
    }
}

namespace Cairn.Raft;

/// <summary>
/// One Raft node as a deterministic, sans-IO state machine (after etcd-io/raft's RawNode). Time enters through
/// <see cref="Tick"/>, messages through <see cref="Step"/>, commands through <see cref="Propose"/>; everything the
/// host must do comes out of <see cref="Ready()"/>. No threads, no clock, no I/O; randomness only from the injected
/// <see cref="Random"/>. Not thread-safe: the host calls it from one thread at a time.
/// </summary>
/// <remarks>
/// Membership changes are single-server and take effect when appended (docs/decisions/0010-raft-membership.md);
/// snapshots travel as metadata with their bytes streamed by the host, and reads are confirmed by a heartbeat round
/// or the leader lease (docs/decisions/0011-raft-snapshots-and-reads.md).
/// </remarks>
public sealed class RawNode
{
    /// <summary>The id meaning "no node".</summary>
    public const ulong None = 0;

    private readonly RaftConfig _config;
    private readonly RaftLog _log;
    private readonly Random _random;
    private readonly Dictionary<ulong, Progress> _progress = [];
    private readonly Dictionary<ulong, bool> _votes = [];
    private readonly ReadIndexQueue _reads = new();

    // Reads that arrived before this leader committed an entry of its term: its commit index may still be stale.
    private readonly List<(ReadOnlyMemory<byte> Context, ulong From)> _readsAwaitingCommit = [];
    private List<Message> _messages = [];
    private List<ReadState> _readStates = [];
    private ConfState _tracked;
    private ulong _pendingConfIndex;
    private HardState _previousHardState;
    private bool _awaitingAdvance;
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;

    /// <summary>Builds a node from what <paramref name="storage"/> holds (a fresh node or a restart), as a follower.</summary>
    /// <param name="config">The node's settings; validated here.</param>
    /// <param name="storage">The node's persisted entries and hard state.</param>
    /// <param name="random">The only source of randomness (election timeouts); seed it for reproducible runs.</param>
    public RawNode(RaftConfig config, IRaftStorage storage, Random random)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(random);
        config.Validate();
        _config = config;
        _random = random;
        _log = new RaftLog(storage, new ConfState(config.Peers), config.Applied);
        _tracked = _log.Membership.Current;
        var state = storage.HardState;
        Term = state.Term;
        Vote = state.Vote;
        _previousHardState = state;
        BecomeFollower(Term, None);
    }

    /// <summary>This node's id.</summary>
    public ulong Id => _config.Id;

    /// <summary>The current term.</summary>
    public ulong Term { get; private set; }

    /// <summary>Whom this node voted for in <see cref="Term"/>, or <see cref="None"/>.</summary>
    public ulong Vote { get; private set; }

    /// <summary>The leader this node knows of in <see cref="Term"/>, or <see cref="None"/>.</summary>
    public ulong LeaderId { get; private set; }

    /// <summary>The role this node plays.</summary>
    public RaftRole Role { get; private set; }

    /// <summary>The highest index known to be committed.</summary>
    public ulong CommitIndex => _log.Committed;

    /// <summary>The index of the last entry in this node's log (persisted or not).</summary>
    public ulong LastIndex => _log.LastIndex;

    /// <summary>The highest index the host has applied (as it reported through <see cref="Advance"/>).</summary>
    public ulong AppliedIndex => _log.Applied;

    /// <summary>
    /// The membership in force: defined by the newest membership change in this node's log, committed or not
    /// (or by the bootstrap peers or a snapshot when the log holds none).
    /// </summary>
    public ConfState ConfState => _log.Membership.Current;

    /// <summary>
    /// As leader, how far each member's log is known to match this one's (for deciding when a learner has caught
    /// up); empty on a follower.
    /// </summary>
    public IReadOnlyDictionary<ulong, ulong> MatchIndexes() =>
        Role == RaftRole.Leader ? _progress.ToDictionary(p => p.Key, p => p.Key == Id ? _log.LastIndex : p.Value.Match) : new Dictionary<ulong, ulong>();

    /// <summary>The node a leader is handing leadership to, or <see cref="None"/>.</summary>
    public ulong LeadTransferee { get; private set; }

    private HardState CurrentHardState => new(Term, Vote, _log.Committed);

    private int Quorum => ConfState.Quorum;

    /// <summary>
    /// Whether this node may campaign: a voter of the membership in force, or of the one before it while the change
    /// that removed it is not committed — it may still be needed to commit that change (thesis §4.2.2). Votes are
    /// counted in the membership in force either way.
    /// </summary>
    private bool Promotable =>
        ConfState.IsVoter(Id)
        || (_log.Committed < _log.Membership.CurrentIndex && _log.Membership.At(_log.Membership.CurrentIndex - 1).IsVoter(Id));

    /// <summary>The term of the entry at <paramref name="index"/>, if this node's log has one (for tests and invariant checks).</summary>
    internal bool TryTermAt(ulong index, out ulong term) => _log.TryTerm(index, out term);

    /// <summary>Advances logical time by one tick: followers count toward an election, leaders toward a heartbeat.</summary>
    public void Tick()
    {
        if (Role == RaftRole.Leader)
        {
            TickHeartbeat();
        }
        else
        {
            TickElection();
        }
    }

    /// <summary>
    /// Describes a snapshot of the state machine as of <paramref name="index"/> (at most <see cref="AppliedIndex"/>):
    /// the entry's term and the membership then. The host writes the state machine's bytes with it, records it with
    /// <see cref="IRaftStorage.CreateSnapshot"/>, and may then compact the log up to it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is not applied, or older than the log still holds.</exception>
    public SnapshotMetadata SnapshotMetadataAt(ulong index)
    {
        if (index > _log.Applied || index + 1 < _log.FirstIndex || !_log.TryTerm(index, out var term))
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"A snapshot can be taken at an applied index in [{_log.FirstIndex - 1}, {_log.Applied}], not {index}.");
        }

        return new SnapshotMetadata(index, term, _log.Membership.At(index));
    }

    /// <summary>
    /// Proposes a single-server membership change. Only a leader accepts it, and only once its previous change and
    /// its own first entry are committed (docs/decisions/0010-raft-membership.md); the change takes effect as soon
    /// as it is appended. Accepted does not mean committed.
    /// </summary>
    public ProposeResult ProposeConfChange(ConfChange change)
    {
        if (Role != RaftRole.Leader)
        {
            return ProposeResult.NotLeader(LeaderId);
        }

        if (LeadTransferee != None)
        {
            return ProposeResult.Refused(Id, ProposeRefusal.TransferringLeadership);
        }

        if (_pendingConfIndex > _log.Committed)
        {
            return ProposeResult.Refused(Id, ProposeRefusal.ConfChangePending);
        }

        if (change.NodeId == None || ConfState.TryApply(change) is null)
        {
            return ProposeResult.Refused(Id, ProposeRefusal.ConfChangeInvalid);
        }

        var index = AppendEntry(EntryType.ConfChange, change.Encode());
        _pendingConfIndex = index;
        BroadcastAppend();
        return new ProposeResult(true, index, Term, Id);
    }

    /// <summary>
    /// Asks for a linearizable read. When a quorum has confirmed this node's leader still leads, a
    /// <see cref="ReadState"/> with <paramref name="context"/> comes out of <see cref="Ready()"/>: the host serves the
    /// read once it has applied that state's index. A follower forwards the request to its leader; with no leader
    /// known, or when leadership changes meanwhile, the read is dropped and the caller retries after a timeout.
    /// </summary>
    public void ReadIndex(ReadOnlySpan<byte> context)
    {
        var copy = context.ToArray();
        if (Role == RaftRole.Leader)
        {
            HandleReadIndex(copy, Id);
        }
        else if (LeaderId != None)
        {
            Send(new Message { Type = MessageType.ReadIndex, To = LeaderId, Context = copy });
        }
    }

    /// <summary>
    /// Hands leadership to the voter <paramref name="to"/>: the leader stops accepting proposals, brings the target's
    /// log up to date, then tells it to campaign at once (<see cref="MessageType.TimeoutNow"/>). The transfer is
    /// abandoned if it has not happened within an election timeout. Ignored on a non-leader.
    /// </summary>
    public void TransferLeadership(ulong to)
    {
        if (Role != RaftRole.Leader || to == Id || !ConfState.IsVoter(to) || LeadTransferee == to)
        {
            return;
        }

        LeadTransferee = to;
        _electionElapsed = 0; // the transfer gets one election timeout
        if (_progress[to].Match == _log.LastIndex)
        {
            Send(new Message { Type = MessageType.TimeoutNow, To = to });
        }
        else
        {
            SendAppend(to);
        }
    }

    /// <summary>
    /// The host reports whether it delivered the snapshot a <see cref="MessageType.Snapshot"/> message to
    /// <paramref name="to"/> described. On failure the leader probes again (and sends a snapshot again if needed).
    /// </summary>
    public void ReportSnapshot(ulong to, bool delivered)
    {
        if (Role != RaftRole.Leader || !_progress.TryGetValue(to, out var progress) || progress.State != ProgressState.Snapshot)
        {
            return;
        }

        if (!delivered)
        {
            progress.SnapshotFailed();
        }

        // Wait for the follower's answer (or the next heartbeat response) before probing.
        progress.BecomeProbe();
        progress.ProbeSent = true;
    }

    /// <summary>
    /// Starts an election now instead of waiting for the election timeout (with a pre-vote round first when
    /// <see cref="RaftConfig.PreVote"/> is on). A leader ignores it.
    /// </summary>
    public void Campaign()
    {
        if (Role != RaftRole.Leader && Promotable)
        {
            Campaign(preElection: _config.PreVote);
        }
    }

    /// <summary>
    /// Proposes a command. Only a leader accepts it. A follower that knows a leader forwards it there (unless
    /// <see cref="RaftConfig.DisableProposalForwarding"/>), which may lose it; either way the result is not
    /// accepted and names the leader this node knows of, so the host can answer "not leader, try X".
    /// Accepted does not mean committed.
    /// </summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> data)
    {
        if (Role != RaftRole.Leader)
        {
            if (LeaderId == None || _config.DisableProposalForwarding)
            {
                return ProposeResult.NotLeader(LeaderId);
            }

            Send(new Message { Type = MessageType.Propose, To = LeaderId, Entries = [new Entry(0, 0, EntryType.Normal, data)] });
            return ProposeResult.Refused(LeaderId, ProposeRefusal.Forwarded);
        }

        if (LeadTransferee != None)
        {
            return ProposeResult.Refused(Id, ProposeRefusal.TransferringLeadership);
        }

        var index = AppendEntry(EntryType.Normal, data);
        BroadcastAppend();
        return new ProposeResult(true, index, Term, Id);
    }

    /// <summary>
    /// Proposes several commands at once, for a host that gathers a round of proposals: they take consecutive
    /// indexes from the result's <see cref="ProposeResult.Index"/> and reach each follower in one append rather than
    /// one each. Only a leader accepts; a batch is never forwarded.
    /// </summary>
    /// <exception cref="ArgumentException">The batch is empty.</exception>
    public ProposeResult ProposeBatch(IReadOnlyList<ReadOnlyMemory<byte>> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Count == 0)
        {
            throw new ArgumentException("A batch needs at least one command.", nameof(commands));
        }

        if (Role != RaftRole.Leader)
        {
            return ProposeResult.NotLeader(LeaderId);
        }

        if (LeadTransferee != None)
        {
            return ProposeResult.Refused(Id, ProposeRefusal.TransferringLeadership);
        }

        var first = _log.LastIndex + 1;
        var entries = new Entry[commands.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new Entry(Term, first + (ulong)i, EntryType.Normal, commands[i]);
        }

        _log.Append(entries);
        SyncMembership();
        _progress[Id].MaybeUpdate(entries[^1].Index);
        MaybeCommit();
        BroadcastAppend();
        return new ProposeResult(true, first, Term, Id);
    }

    /// <summary>
    /// Feeds a message from a peer. Stale messages are ignored. Senders outside the membership are heard (a new
    /// node learns its membership from the leader, who may be newer than its own view), but never counted.
    /// </summary>
    /// <exception cref="ArgumentException">The message is not addressed to this node.</exception>
    public void Step(Message message)
    {
        StepInner(message);
        SyncMembership();
    }

    private void StepInner(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To != Id)
        {
            throw new ArgumentException($"Message for {message.To} stepped into node {Id}.", nameof(message));
        }

        if (message.From == Id || message.From == None || message.Term == 0)
        {
            return;
        }

        if (message.Term > Term)
        {
            if (message.Type is MessageType.Vote or MessageType.PreVote)
            {
                // Lease: while we hear from a leader, a higher-term candidate is disruptive, not legitimate.
                // A candidate the leader handed over to is legitimate, lease or not.
                var inLease = _config.CheckQuorum && LeaderId != None && _electionElapsed < _config.ElectionTick;
                if (inLease && !message.LeaderTransfer)
                {
                    return;
                }
            }

            if (message.Type == MessageType.PreVote || (message.Type == MessageType.PreVoteResponse && !message.Reject))
            {
                // A pre-vote never changes terms; a granted pre-vote answer carries the term we would campaign in.
            }
            else if (message.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot)
            {
                BecomeFollower(message.Term, message.From);
            }
            else
            {
                BecomeFollower(message.Term, None);
            }
        }
        else if (message.Term < Term)
        {
            if ((_config.CheckQuorum || _config.PreVote) && message.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot)
            {
                // A stale leader (e.g. healed from a partition) would otherwise never learn our term: tell it.
                Send(new Message { Type = MessageType.AppendResponse, To = message.From });
            }
            else if (message.Type == MessageType.PreVote)
            {
                Send(new Message { Type = MessageType.PreVoteResponse, To = message.From, Term = Term, Reject = true });
            }

            return;
        }

        if (message.Type is MessageType.Vote or MessageType.PreVote)
        {
            HandleVoteRequest(message);
            return;
        }

        switch (Role)
        {
            case RaftRole.Leader:
                StepLeader(message);
                break;
            case RaftRole.Candidate:
            case RaftRole.PreCandidate:
                StepCandidate(message);
                break;
            default:
                StepFollower(message);
                break;
        }
    }

    /// <summary>Whether <see cref="Ready()"/> has anything for the host.</summary>
    public bool HasReady =>
        !_awaitingAdvance
        && (_messages.Count > 0 || _log.UnstableEntries.Count > 0 || _log.HasNextCommittedEntries || CurrentHardState != _previousHardState
            || _log.PendingSnapshot is not null || _readStates.Count > 0);

    /// <summary>Takes the pending work. The host handles it as <see cref="Cairn.Raft.Ready"/> describes, then calls <see cref="Advance"/>.</summary>
    /// <exception cref="InvalidOperationException">The previous ready has not been advanced.</exception>
    public Ready Ready()
    {
        if (_awaitingAdvance)
        {
            throw new InvalidOperationException("Advance the previous Ready before taking another.");
        }

        var hardState = CurrentHardState;
        var ready = new Ready(
            hardState != _previousHardState ? hardState : null,
            _log.UnstableEntries.ToArray(),
            _log.NextCommittedEntries(),
            _messages,
            _log.PendingSnapshot,
            _readStates);
        _messages = [];
        _readStates = [];
        _awaitingAdvance = true;
        return ready;
    }

    /// <summary>Tells the node the host persisted, sent and applied everything in <paramref name="ready"/>.</summary>
    public void Advance(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (!_awaitingAdvance)
        {
            throw new InvalidOperationException("Advance called without a Ready.");
        }

        _awaitingAdvance = false;
        if (ready.Snapshot is { } snapshot)
        {
            _log.SnapshotStableTo(snapshot.Index);
        }

        if (ready.HardState is { } hardState)
        {
            _previousHardState = hardState;
        }

        if (ready.Entries.Count > 0)
        {
            var last = ready.Entries[^1];
            _log.StableTo(last.Index, last.Term);
        }

        if (ready.CommittedEntries.Count > 0)
        {
            _log.AppliedTo(ready.CommittedEntries[^1].Index);
        }
    }

    private void TickElection()
    {
        // A node that may not campaign keeps counting (bounded), so its lease on a silent leader runs out and it
        // answers the votes the group needs — found by the randomized test, where a restarting count phase-locked
        // a non-voter's lease with a candidate's retries.
        _electionElapsed = Math.Min(_electionElapsed + 1, int.MaxValue - 1);
        if (Promotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            Campaign(preElection: _config.PreVote);
        }
    }

    private void TickHeartbeat()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _config.ElectionTick)
        {
            _electionElapsed = 0;
            LeadTransferee = None; // a transfer that has not happened within an election timeout is abandoned
            if (_config.CheckQuorum)
            {
                if (!QuorumActive())
                {
                    BecomeFollower(Term, None);
                    return;
                }
            }
        }

        if (_heartbeatElapsed >= _config.HeartbeatTick)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat(ReadOnlyMemory<byte>.Empty);
        }
    }

    /// <summary>Whether a quorum (self included) was heard from since the last check; starts the next round.</summary>
    private bool QuorumActive()
    {
        var active = 0;
        foreach (var (id, progress) in _progress)
        {
            if (ConfState.IsVoter(id) && (id == Id || progress.RecentActive))
            {
                active++;
            }

            if (id != Id)
            {
                progress.RecentActive = false;
            }
        }

        return active >= Quorum;
    }

    private void Campaign(bool preElection, bool transfer = false)
    {
        ulong term;
        MessageType type;
        if (preElection)
        {
            BecomePreCandidate();
            type = MessageType.PreVote;
            term = Term + 1; // The term we would campaign in; our own term does not change.
        }
        else
        {
            BecomeCandidate();
            type = MessageType.Vote;
            term = Term;
        }

        if (Poll(Id, granted: true) == VoteResult.Won)
        {
            // A single-node group wins at once.
            if (preElection)
            {
                Campaign(preElection: false);
            }
            else
            {
                BecomeLeader();
            }

            return;
        }

        foreach (var peer in ConfState.Voters)
        {
            if (peer != Id)
            {
                Send(new Message { Type = type, To = peer, Term = term, Index = _log.LastIndex, LogTerm = _log.LastTerm, LeaderTransfer = transfer });
            }
        }
    }

    private void HandleVoteRequest(Message message)
    {
        var responseType = message.Type == MessageType.Vote ? MessageType.VoteResponse : MessageType.PreVoteResponse;
        var canVote = Vote == message.From
            || (Vote == None && LeaderId == None)
            || (message.Type == MessageType.PreVote && message.Term > Term);
        if (canVote && _log.IsUpToDate(message.Index, message.LogTerm))
        {
            // The answer carries the request's term, so a pre-candidate recognises it.
            Send(new Message { Type = responseType, To = message.From, Term = message.Term });
            if (message.Type == MessageType.Vote)
            {
                _electionElapsed = 0;
                Vote = message.From;
            }
        }
        else
        {
            Send(new Message { Type = responseType, To = message.From, Term = Term, Reject = true });
        }
    }

    private void StepFollower(Message message)
    {
        switch (message.Type)
        {
            case MessageType.Append:
                _electionElapsed = 0;
                LeaderId = message.From;
                HandleAppend(message);
                break;
            case MessageType.Heartbeat:
                _electionElapsed = 0;
                LeaderId = message.From;
                HandleHeartbeat(message);
                break;
            case MessageType.Snapshot:
                _electionElapsed = 0;
                LeaderId = message.From;
                HandleSnapshot(message);
                break;
            case MessageType.TimeoutNow:
                // The leader hands over: campaign at once, skipping pre-vote (the leader vouches we can win).
                if (Promotable)
                {
                    Campaign(preElection: false, transfer: true);
                }

                break;
            case MessageType.ReadIndexResponse:
                _readStates.Add(new ReadState(message.Index, message.Context));
                break;
            default:
                break; // Late responses from an earlier role; proposals and reads forwarded to a non-leader.
        }
    }

    private void StepCandidate(Message message)
    {
        var myResponse = Role == RaftRole.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        switch (message.Type)
        {
            case MessageType.Append:
                BecomeFollower(message.Term, message.From);
                HandleAppend(message);
                break;
            case MessageType.Heartbeat:
                BecomeFollower(message.Term, message.From);
                HandleHeartbeat(message);
                break;
            case MessageType.Snapshot:
                BecomeFollower(message.Term, message.From);
                HandleSnapshot(message);
                break;
            default:
                if (message.Type != myResponse)
                {
                    break;
                }

                switch (Poll(message.From, !message.Reject))
                {
                    case VoteResult.Won when Role == RaftRole.PreCandidate:
                        Campaign(preElection: false);
                        break;
                    case VoteResult.Won:
                        BecomeLeader();
                        BroadcastAppend();
                        break;
                    case VoteResult.Lost:
                        BecomeFollower(Term, None);
                        break;
                    default:
                        break;
                }

                break;
        }
    }

    private void StepLeader(Message message)
    {
        switch (message.Type)
        {
            case MessageType.Propose:
                if (LeadTransferee == None)
                {
                    foreach (var entry in message.Entries)
                    {
                        if (entry.Type == EntryType.Normal)
                        {
                            AppendEntry(EntryType.Normal, entry.Data);
                        }
                    }

                    BroadcastAppend();
                }

                return;
            case MessageType.ReadIndex:
                HandleReadIndex(message.Context, message.From);
                return;
            case MessageType.Append:
            case MessageType.Heartbeat:
            case MessageType.Snapshot:
                throw new InvalidOperationException($"Two leaders in term {Term}: {Id} and {message.From}.");
            default:
                break;
        }

        if (!_progress.TryGetValue(message.From, out var progress))
        {
            return; // not a member (any more): its answers count for nothing
        }

        switch (message.Type)
        {
            case MessageType.AppendResponse:
                progress.RecentActive = true;
                if (message.Reject)
                {
                    var nextProbe = message.RejectHint;
                    if (message.LogTerm > 0)
                    {
                        nextProbe = _log.FindConflictByTerm(message.RejectHint, message.LogTerm).Index;
                    }

                    if (progress.State != ProgressState.Snapshot && progress.MaybeDecrTo(message.Index, nextProbe))
                    {
                        if (progress.State == ProgressState.Replicate)
                        {
                            progress.BecomeProbe();
                        }

                        SendAppend(message.From);
                    }
                }
                else
                {
                    var wasPaused = progress.IsPaused;
                    if (progress.MaybeUpdate(message.Index) || (progress.State == ProgressState.Snapshot && progress.Match + 1 >= _log.FirstIndex))
                    {
                        if (progress.State == ProgressState.Snapshot)
                        {
                            // Installed (or caught up another way): the entries after it can be sent from the log.
                            progress.BecomeProbe();
                            progress.BecomeReplicate();
                        }
                        else if (progress.State == ProgressState.Probe)
                        {
                            progress.BecomeReplicate();
                        }
                        else
                        {
                            progress.Inflights.FreeLE(message.Index);
                        }

                        if (MaybeCommit())
                        {
                            BroadcastAppend();
                        }
                        else if (wasPaused)
                        {
                            SendAppend(message.From);
                        }

                        // Fill the window; bounded by the inflight limit and by the log's end.
                        while (MaybeSendAppend(message.From, sendIfEmpty: false))
                        {
                        }

                        if (message.From == LeadTransferee && progress.Match == _log.LastIndex)
                        {
                            Send(new Message { Type = MessageType.TimeoutNow, To = message.From });
                        }
                    }
                }

                break;
            case MessageType.HeartbeatResponse:
                progress.RecentActive = true;
                progress.ProbeSent = false;
                if (progress.State == ProgressState.Replicate && progress.Inflights.Full)
                {
                    // Acknowledgements may have been lost; let one more append through so replication cannot stall.
                    progress.Inflights.FreeFirstOne();
                }

                if (progress.Match < _log.LastIndex)
                {
                    SendAppend(message.From);
                }

                if (!message.Context.IsEmpty)
                {
                    foreach (var read in _reads.Ack(message.Context.Span, message.From, ConfState))
                    {
                        AnswerRead(read.Index, read.Context, read.From);
                    }
                }

                break;
            default:
                break; // Late vote responses.
        }
    }

    private void HandleReadIndex(ReadOnlyMemory<byte> context, ulong from)
    {
        if (!_log.TryTerm(_log.Committed, out var committedTerm) || committedTerm != Term)
        {
            // Until an entry of this term commits, our commit index may lag what an earlier leader committed.
            _readsAwaitingCommit.Add((context, from));
            return;
        }

        if (ConfState.Voters.Count == 1 && ConfState.IsVoter(Id))
        {
            AnswerRead(_log.Committed, context, from);
        }
        else if (_config.ReadOnlyOption == ReadOnlyOption.LeaseBased)
        {
            // Check-quorum keeps every voter from electing another leader while our lease runs (ADR 0011).
            AnswerRead(_log.Committed, context, from);
        }
        else
        {
            BroadcastHeartbeat(_reads.Add(_log.Committed, context, from, Id));
        }
    }

    private void AnswerRead(ulong index, ReadOnlyMemory<byte> context, ulong to)
    {
        if (to == Id)
        {
            _readStates.Add(new ReadState(index, context));
        }
        else
        {
            Send(new Message { Type = MessageType.ReadIndexResponse, To = to, Index = index, Context = context });
        }
    }

    /// <summary>Runs the reads that waited for this leader's first commit, once it has happened.</summary>
    private void ReleaseReadsAwaitingCommit()
    {
        if (_readsAwaitingCommit.Count == 0 || !_log.TryTerm(_log.Committed, out var term) || term != Term)
        {
            return;
        }

        var waiting = _readsAwaitingCommit.ToList();
        _readsAwaitingCommit.Clear();
        foreach (var (context, from) in waiting)
        {
            HandleReadIndex(context, from);
        }
    }

    private void HandleSnapshot(Message message)
    {
        if (message.Snapshot is not { IsEmpty: false } snapshot)
        {
            return;
        }

        if (snapshot.Index <= _log.Committed)
        {
            // Nothing new: tell the leader how far we are.
            Send(new Message { Type = MessageType.AppendResponse, To = message.From, Index = _log.Committed });
            return;
        }

        if (_log.MatchTerm(snapshot.Index, snapshot.Term))
        {
            // Our log already holds the snapshot's last entry, so it matches the leader's up to there: just commit.
            _log.CommitTo(snapshot.Index);
        }
        else
        {
            _log.Restore(snapshot);
        }

        Send(new Message { Type = MessageType.AppendResponse, To = message.From, Index = snapshot.Index });
    }

    private void HandleAppend(Message message)
    {
        if (message.Index < _log.Committed)
        {
            Send(new Message { Type = MessageType.AppendResponse, To = message.From, Index = _log.Committed });
            return;
        }

        if (_log.TryAppend(message.Index, message.LogTerm, message.Commit, message.Entries, out var lastNew))
        {
            Send(new Message { Type = MessageType.AppendResponse, To = message.From, Index = lastNew });
            return;
        }

        // Fast backup: point the leader at the last entry of ours that could match, skipping a whole term at a time.
        var hint = Math.Min(message.Index, _log.LastIndex);
        var (hintIndex, hintTerm) = _log.FindConflictByTerm(hint, message.LogTerm);
        Send(new Message
        {
            Type = MessageType.AppendResponse,
            To = message.From,
            Index = message.Index,
            Reject = true,
            RejectHint = hintIndex,
            LogTerm = hintTerm,
        });
    }

    private void HandleHeartbeat(Message message)
    {
        _log.CommitTo(message.Commit);
        Send(new Message { Type = MessageType.HeartbeatResponse, To = message.From, Context = message.Context });
    }

    private ulong AppendEntry(EntryType type, ReadOnlyMemory<byte> data)
    {
        var index = _log.LastIndex + 1;
        _log.Append([new Entry(Term, index, type, data)]);
        SyncMembership();
        _progress[Id].MaybeUpdate(index);
        MaybeCommit();
        return index;
    }

    /// <summary>Commits the highest index a quorum holds, if it is of this term (§5.4.2).</summary>
    /// <remarks>Only voters count; a leader being removed still replicates but no longer counts itself.</remarks>
    private bool MaybeCommit()
    {
        var voters = ConfState.Voters;
        var matches = new ulong[voters.Count];
        for (var i = 0; i < voters.Count; i++)
        {
            matches[i] = _progress.TryGetValue(voters[i], out var progress) && (voters[i] != Id || ConfState.IsVoter(Id)) ? progress.Match : 0;
        }

        Array.Sort(matches);
        var quorumIndex = matches[matches.Length - Quorum];
        if (!_log.MaybeCommit(quorumIndex, Term))
        {
            return false;
        }

        ReleaseReadsAwaitingCommit();
        return true;
    }

    /// <summary>
    /// Brings the replication state in line with the membership in force, after the log changed: new members get a
    /// progress to probe from, removed ones lose theirs. A leader whose own removal is committed steps down.
    /// </summary>
    private void SyncMembership()
    {
        var membership = ConfState;
        if (!ReferenceEquals(membership, _tracked))
        {
            _tracked = membership;
            foreach (var id in _progress.Keys.Where(id => id != Id && !membership.Contains(id)).ToList())
            {
                _progress.Remove(id);
            }

            foreach (var id in membership.Members.Where(id => !_progress.ContainsKey(id)))
            {
                _progress[id] = new Progress(_log.LastIndex + 1, _config.MaxInflightMessages);
            }

            if (LeadTransferee != None && !membership.IsVoter(LeadTransferee))
            {
                LeadTransferee = None;
            }

            if (Role == RaftRole.Leader && MaybeCommit())
            {
                BroadcastAppend(); // a smaller quorum may commit at once
            }
        }

        if (Role == RaftRole.Leader && !membership.IsVoter(Id) && _log.Committed >= _log.Membership.CurrentIndex)
        {
            // The thesis's rule (§4.2.2): a leader that removed itself leads until that change is committed.
            BecomeFollower(Term, None);
        }
    }

    private void BroadcastAppend()
    {
        foreach (var peer in _progress.Keys)
        {
            if (peer != Id)
            {
                SendAppend(peer);
            }
        }
    }

    private void SendAppend(ulong to) => MaybeSendAppend(to, sendIfEmpty: true);

    private bool MaybeSendAppend(ulong to, bool sendIfEmpty)
    {
        var progress = _progress[to];
        if (progress.IsPaused)
        {
            return false;
        }

        var previousIndex = progress.Next - 1;
        if (progress.Next < _log.FirstIndex || !_log.TryTerm(previousIndex, out var previousTerm))
        {
            return SendSnapshot(to, progress);
        }

        var entries = progress.Next <= _log.LastIndex ? _log.EntriesFrom(progress.Next, _config.MaxBytesPerAppend) : [];
        if (entries.Count == 0 && !sendIfEmpty)
        {
            return false;
        }

        Send(new Message
        {
            Type = MessageType.Append,
            To = to,
            Index = previousIndex,
            LogTerm = previousTerm,
            Entries = entries,
            Commit = _log.Committed,
        });
        progress.SentEntries(entries.Count, entries.Count > 0 ? entries[^1].Index : previousIndex);
        return true;
    }

    /// <summary>The follower needs entries the log no longer has: send the newest snapshot's metadata instead.</summary>
    private bool SendSnapshot(ulong to, Progress progress)
    {
        var snapshot = _log.Snapshot;
        if (snapshot.IsEmpty || snapshot.Index + 1 < _log.FirstIndex)
        {
            // Compacted without a snapshot covering the gap: nothing can bring this follower up to date.
            throw new InvalidOperationException($"Node {to} needs entry {progress.Next}, compacted (log starts at {_log.FirstIndex}) with no snapshot covering it.");
        }

        Send(new Message { Type = MessageType.Snapshot, To = to, Snapshot = snapshot, Index = snapshot.Index, LogTerm = snapshot.Term });
        progress.BecomeSnapshot(snapshot.Index);
        return true;
    }

    /// <summary>Heartbeats to every member; a non-empty <paramref name="context"/> names the read round they confirm.</summary>
    private void BroadcastHeartbeat(ReadOnlyMemory<byte> context)
    {
        foreach (var (peer, progress) in _progress)
        {
            if (peer != Id)
            {
                // Never tell a follower to commit past what it is known to hold.
                var commit = Math.Min(progress.Match, _log.Committed);
                Send(new Message { Type = MessageType.Heartbeat, To = peer, Commit = commit, Context = context });
            }
        }
    }

    private void Send(Message message)
    {
        _messages.Add(message with { From = Id, Term = message.Term == 0 ? Term : message.Term });
    }

    /// <summary>Counts a vote; only voters' votes count (a learner may answer, but never decides an election).</summary>
    private VoteResult Poll(ulong id, bool granted)
    {
        if (ConfState.IsVoter(id))
        {
            _votes.TryAdd(id, granted);
        }

        var yes = _votes.Values.Count(v => v);
        var no = _votes.Count - yes;
        if (yes >= Quorum)
        {
            return VoteResult.Won;
        }

        return no > ConfState.Voters.Count - Quorum ? VoteResult.Lost : VoteResult.Pending;
    }

    private void Reset(ulong term)
    {
        if (term < Term)
        {
            throw new InvalidOperationException($"Term would go backwards: {Term} -> {term}.");
        }

        if (Term != term)
        {
            Term = term;
            Vote = None;
        }

        LeaderId = None;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        _randomizedElectionTimeout = _config.ElectionTick + _random.Next(_config.ElectionTick);
        _votes.Clear();
        _reads.Clear();
        _readsAwaitingCommit.Clear();
        LeadTransferee = None;
        _progress.Clear();
        _tracked = ConfState;
        foreach (var peer in ConfState.Members.Append(Id).Distinct())
        {
            _progress[peer] = new Progress(_log.LastIndex + 1, _config.MaxInflightMessages);
        }
    }

    private void BecomeFollower(ulong term, ulong leaderId)
    {
        Reset(term);
        LeaderId = leaderId;
        Role = RaftRole.Follower;
    }

    private void BecomePreCandidate()
    {
        if (Role == RaftRole.Leader)
        {
            throw new InvalidOperationException("A leader cannot become a pre-candidate.");
        }

        // Neither the term nor the vote changes: that is the point of pre-vote.
        _votes.Clear();
        LeaderId = None;
        Role = RaftRole.PreCandidate;
    }

    private void BecomeCandidate()
    {
        if (Role == RaftRole.Leader)
        {
            throw new InvalidOperationException("A leader cannot become a candidate.");
        }

        Reset(Term + 1);
        Vote = Id;
        Role = RaftRole.Candidate;
    }

    private void BecomeLeader()
    {
        if (Role != RaftRole.Candidate)
        {
            throw new InvalidOperationException($"Only a candidate becomes leader, not a {Role}.");
        }

        Reset(Term);
        LeaderId = Id;
        Role = RaftRole.Leader;
        _progress[Id].SetSelf(_log.LastIndex);

        // An entry of the new term: committing it commits every earlier entry the leader holds (§5.4.2). Until it
        // commits, no membership change may be proposed: the fix to the single-server change bug (ADR 0010).
        _pendingConfIndex = AppendEntry(EntryType.Normal, ReadOnlyMemory<byte>.Empty);
    }

    private enum VoteResult
    {
        Pending,
        Won,
        Lost,
    }
}

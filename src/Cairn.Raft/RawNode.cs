namespace Cairn.Raft;

/// <summary>
/// One Raft node as a deterministic, sans-IO state machine (after etcd-io/raft's RawNode). Time enters through
/// <see cref="Tick"/>, messages through <see cref="Step"/>, commands through <see cref="Propose"/>; everything the
/// host must do comes out of <see cref="Ready()"/>. No threads, no clock, no I/O; randomness only from the injected
/// <see cref="Random"/>. Not thread-safe: the host calls it from one thread at a time.
/// </summary>
public sealed class RawNode
{
    /// <summary>The id meaning "no node".</summary>
    public const ulong None = 0;

    private readonly RaftConfig _config;
    private readonly RaftLog _log;
    private readonly Random _random;
    private readonly Dictionary<ulong, Progress> _progress = [];
    private readonly Dictionary<ulong, bool> _votes = [];
    private List<Message> _messages = [];
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
        _log = new RaftLog(storage);
        var state = storage.HardState;
        if (state.Vote != None && !config.Peers.Contains(state.Vote))
        {
            throw new ArgumentException($"The stored vote {state.Vote} is not a peer.", nameof(storage));
        }

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

    private HardState CurrentHardState => new(Term, Vote, _log.Committed);

    private int Quorum => (_config.Peers.Count / 2) + 1;

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
    /// Starts an election now instead of waiting for the election timeout (with a pre-vote round first when
    /// <see cref="RaftConfig.PreVote"/> is on). A leader ignores it.
    /// </summary>
    public void Campaign()
    {
        if (Role != RaftRole.Leader)
        {
            Campaign(preElection: _config.PreVote);
        }
    }

    /// <summary>
    /// Proposes a command. Only a leader accepts it; otherwise the result is not accepted and names the leader
    /// this node knows of, so the host can answer "not leader, try X". Accepted does not mean committed.
    /// </summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> data)
    {
        if (Role != RaftRole.Leader)
        {
            return ProposeResult.NotLeader(LeaderId);
        }

        var index = AppendEntry(data);
        BroadcastAppend();
        return new ProposeResult(true, index, Term, Id);
    }

    /// <summary>Feeds a message from a peer. Stale and unknown-sender messages are ignored.</summary>
    /// <exception cref="ArgumentException">The message is not addressed to this node.</exception>
    public void Step(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To != Id)
        {
            throw new ArgumentException($"Message for {message.To} stepped into node {Id}.", nameof(message));
        }

        if (message.From == Id || !_config.Peers.Contains(message.From) || message.Term == 0)
        {
            return;
        }

        if (message.Term > Term)
        {
            if (message.Type is MessageType.Vote or MessageType.PreVote)
            {
                // Lease: while we hear from a leader, a higher-term candidate is disruptive, not legitimate.
                var inLease = _config.CheckQuorum && LeaderId != None && _electionElapsed < _config.ElectionTick;
                if (inLease)
                {
                    return;
                }
            }

            if (message.Type == MessageType.PreVote || (message.Type == MessageType.PreVoteResponse && !message.Reject))
            {
                // A pre-vote never changes terms; a granted pre-vote answer carries the term we would campaign in.
            }
            else if (message.Type is MessageType.Append or MessageType.Heartbeat)
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
            if ((_config.CheckQuorum || _config.PreVote) && message.Type is MessageType.Append or MessageType.Heartbeat)
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
        && (_messages.Count > 0 || _log.UnstableEntries.Count > 0 || _log.HasNextCommittedEntries || CurrentHardState != _previousHardState);

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
            _messages);
        _messages = [];
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
        _electionElapsed++;
        if (_electionElapsed >= _randomizedElectionTimeout)
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
            BroadcastHeartbeat();
        }
    }

    /// <summary>Whether a quorum (self included) was heard from since the last check; starts the next round.</summary>
    private bool QuorumActive()
    {
        var active = 0;
        foreach (var (id, progress) in _progress)
        {
            if (id == Id || progress.RecentActive)
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

    private void Campaign(bool preElection)
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

        foreach (var peer in _config.Peers)
        {
            if (peer != Id)
            {
                Send(new Message { Type = type, To = peer, Term = term, Index = _log.LastIndex, LogTerm = _log.LastTerm });
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
            default:
                break; // Late responses from an earlier role.
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
        var progress = _progress[message.From];
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

                    if (progress.MaybeDecrTo(message.Index, nextProbe))
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
                    if (progress.MaybeUpdate(message.Index))
                    {
                        if (progress.State == ProgressState.Probe)
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

                break;
            case MessageType.Append:
            case MessageType.Heartbeat:
                throw new InvalidOperationException($"Two leaders in term {Term}: {Id} and {message.From}.");
            default:
                break; // Late vote responses.
        }
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
        Send(new Message { Type = MessageType.HeartbeatResponse, To = message.From });
    }

    private ulong AppendEntry(ReadOnlyMemory<byte> data)
    {
        var index = _log.LastIndex + 1;
        _log.Append([new Entry(Term, index, EntryType.Normal, data)]);
        _progress[Id].MaybeUpdate(index);
        MaybeCommit();
        return index;
    }

    /// <summary>Commits the highest index a quorum holds, if it is of this term (§5.4.2).</summary>
    private bool MaybeCommit()
    {
        var matches = new ulong[_progress.Count];
        var i = 0;
        foreach (var progress in _progress.Values)
        {
            matches[i++] = progress.Match;
        }

        Array.Sort(matches);
        var quorumIndex = matches[matches.Length - Quorum];
        return _log.MaybeCommit(quorumIndex, Term);
    }

    private void BroadcastAppend()
    {
        foreach (var peer in _config.Peers)
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
        var previousTerm = _log.Term(previousIndex);
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

    private void BroadcastHeartbeat()
    {
        foreach (var peer in _config.Peers)
        {
            if (peer != Id)
            {
                // Never tell a follower to commit past what it is known to hold.
                var commit = Math.Min(_progress[peer].Match, _log.Committed);
                Send(new Message { Type = MessageType.Heartbeat, To = peer, Commit = commit });
            }
        }
    }

    private void Send(Message message)
    {
        _messages.Add(message with { From = Id, Term = message.Term == 0 ? Term : message.Term });
    }

    private VoteResult Poll(ulong id, bool granted)
    {
        _votes.TryAdd(id, granted);
        var yes = _votes.Values.Count(v => v);
        var no = _votes.Count - yes;
        if (yes >= Quorum)
        {
            return VoteResult.Won;
        }

        return no > _config.Peers.Count - Quorum ? VoteResult.Lost : VoteResult.Pending;
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
        _progress.Clear();
        foreach (var peer in _config.Peers)
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

        // An entry of the new term: committing it commits every earlier entry the leader holds (§5.4.2).
        AppendEntry(ReadOnlyMemory<byte>.Empty);
    }

    private enum VoteResult
    {
        Pending,
        Won,
        Lost,
    }
}

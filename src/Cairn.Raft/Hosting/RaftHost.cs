using System.Buffers;
using System.Diagnostics;
using Cairn.Raft.Storage;
using Cairn.Storage.IO;

namespace Cairn.Raft.Hosting;

/// <summary>
/// Runs many Raft groups of one node on one loop thread (multi-raft, design §2). Each round the loop takes every
/// queued message and proposal, ticks the groups, then handles all groups' <see cref="Ready"/> values together:
/// their appends and hard states go to the <see cref="SharedRaftLog"/> and become durable with one fsync, then each
/// peer gets all groups' messages for it in one <see cref="IRaftTransport.Send"/>, then committed commands are
/// applied and their proposers answered. While one round's fsync runs, the next round's inputs gather, so load
/// batches itself. A failed log write stops the host (fail-stop): its groups' state is then only what is on disk.
/// </summary>
/// <remarks>
/// Each group snapshots its state machine every <see cref="RaftHostOptions.SnapshotEntries"/> applied entries (on
/// the loop thread, so a snapshot's cost is paid by every group of the host while it is written) into its own
/// <see cref="SnapshotStore"/>, and compacts its log behind it. A follower too far behind gets the snapshot file
/// streamed by <see cref="IRaftTransport.SendSnapshot"/>; its host stores and verifies it
/// (<see cref="ReceiveSnapshotAsync(GroupMessage, Stream, CancellationToken)"/>) before the message reaches its core, so an installed snapshot is always on
/// disk. On restart a group restores its state machine from the snapshot its log is based on, then replays the log.
/// </remarks>
public sealed class RaftHost : IDisposable
{
    private readonly RaftHostOptions _options;
    private readonly SharedRaftLog _log;
    private readonly IRaftTransport _transport;
    private readonly string _snapshotRoot;
    private readonly Random _random;
    private readonly Dictionary<ulong, RaftGroup> _groups = [];
    private readonly List<GroupMessage> _notices = [];
    private readonly List<RaftGroup> _proposing = [];
    private ulong _readSequence;
    private readonly Dictionary<ulong, long> _lastHeard = []; // peer node -> the tick it was last heard from
    private List<ulong>? _peers;
    private long _ticks;
    private readonly Lock _inputLock = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private List<Input> _inputs = [];
    private List<Input> _draining = [];
    private volatile bool _stopping;
    private volatile Exception? _failure;
    private bool _started;

    /// <summary>Creates a host; add groups, then <see cref="Start"/> it.</summary>
    public RaftHost(RaftHostOptions options, SharedRaftLog log, IRaftTransport transport)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(transport);
        if (options.NodeId == RawNode.None)
        {
            throw new ArgumentException("The node id must not be 0.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.TickInterval, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxQueuedInputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPendingProposals, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.SnapshotEntries);
        ArgumentOutOfRangeException.ThrowIfNegative(options.CatchUpEntries);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSnapshotBytes, 1);
        _options = options;
        _snapshotRoot = options.SnapshotDirectory ?? Path.Combine(log.Directory, "snapshots");
        _log = log;
        _transport = transport;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        _thread = new Thread(Run) { IsBackground = true, Name = $"cairn-raft-{options.NodeId}" };
    }

    /// <summary>This node's id.</summary>
    public ulong NodeId => _options.NodeId;

    /// <summary>Why the host stopped on its own (a failed log write), or null while it runs.</summary>
    public Exception? Failure => _failure;

    /// <summary>
    /// Adds a group with voters <paramref name="peers"/> (node ids), reopening what the shared log holds of it.
    /// Before <see cref="Start"/> only. The state machine is restored from the group's snapshot, if its log has one,
    /// and the committed entries after it are applied again. A node joining an existing group passes the group's
    /// original voters without itself: it waits, unable to campaign, until a leader adds it (as a learner first) and
    /// sends it the log or a snapshot, which also tell it the current membership.
    /// </summary>
    /// <exception cref="Cairn.Storage.CorruptionException">The group's snapshot file does not verify.</exception>
    public void AddGroup(ulong groupId, IReadOnlyList<ulong> peers, IGroupStateMachine machine)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(machine);
        if (_started)
        {
            throw new InvalidOperationException("Groups are added before the host starts; a running host takes them with AddGroupAsync.");
        }

        CreateGroup(groupId, peers, machine);
    }

    /// <summary>
    /// <see cref="AddGroup"/> for a running host: the group is opened on the loop thread (restoring its snapshot, if
    /// its log has one) and takes part from the next round. A node given a new replica passes the group's voters
    /// without itself, and waits for the leader to add it and send it a snapshot.
    /// </summary>
    /// <exception cref="InvalidOperationException">The group is already on this node.</exception>
    public Task AddGroupAsync(ulong groupId, IReadOnlyList<ulong> peers, IGroupStateMachine machine)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(machine);
        var done = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Input.AddGroup(groupId, [.. peers], machine, done), done);
        return done.Task;
    }

    /// <summary>
    /// Takes a group off this node (after the group removed this replica, or to drop a stale one): its proposals
    /// fail, and its log records and snapshots are deleted. Its state machine is the caller's to dispose.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The group is not on this node.</exception>
    /// <exception cref="InvalidOperationException">A snapshot of the group is being written or received; try again.</exception>
    public Task RemoveGroupAsync(ulong groupId)
    {
        var done = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Input.RemoveGroup(groupId, done), done);
        return done.Task;
    }

    private void CreateGroup(ulong groupId, IReadOnlyList<ulong> peers, IGroupStateMachine machine)
    {
        if (_groups.ContainsKey(groupId))
        {
            throw new InvalidOperationException($"Node {NodeId} already has group {groupId}.");
        }

        var snapshots = SnapshotStore.Open(LocalFileSystem.Instance, Path.Combine(_snapshotRoot, $"g{groupId}"));
        var log = _log.OpenGroup(groupId);
        if (!log.Snapshot.IsEmpty)
        {
            snapshots.Restore(log.Snapshot, machine.RestoreSnapshot);
        }

        // No forwarding: the host answers a follower's proposer "not leader, try X", which must mean "not taken".
        var config = _options.Raft with { Id = NodeId, Peers = [.. peers], DisableProposalForwarding = true, Applied = log.Snapshot.Index };
        var node = new RawNode(config, log, new Random(_random.Next()));
        var group = new RaftGroup(groupId, node, log, machine, snapshots) { Applied = log.Snapshot.Index };
        group.UpdateMembers();
        _groups.Add(groupId, group);
        _peers = null; // pings go to the new set of peers
    }

    private void DropGroup(Input.RemoveGroup remove)
    {
        if (!_groups.TryGetValue(remove.GroupId, out var group))
        {
            remove.Done.TrySetException(new KeyNotFoundException($"Node {NodeId} has no group {remove.GroupId}."));
            return;
        }

        if (group.SnapshotWrite is not null || !group.TryBeginReceive())
        {
            remove.Done.TrySetException(new InvalidOperationException($"A snapshot of group {remove.GroupId} is being written or received on node {NodeId}; try again."));
            return;
        }

        var gone = new ProposalDroppedException();
        if (group.Proposals is { } queued)
        {
            foreach (var proposal in queued)
            {
                proposal.Done.TrySetException(gone);
            }

            group.Proposals = null;
            _proposing.Remove(group);
        }

        group.FailPending(gone);
        _groups.Remove(remove.GroupId);
        _log.DropGroup(remove.GroupId);
        try
        {
            Directory.Delete(Path.Combine(_snapshotRoot, $"g{remove.GroupId}"), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        _peers = null;
        remove.Done.TrySetResult(null);
    }

    /// <summary>Starts the loop thread.</summary>
    public void Start()
    {
        if (_started)
        {
            throw new InvalidOperationException("The host is already started.");
        }

        _started = true;
        _thread.Start();
    }

    /// <summary>
    /// Proposes <paramref name="command"/> to a group and completes with the state machine's result once it is
    /// committed and applied here.
    /// </summary>
    /// <exception cref="NotLeaderException">This node does not lead the group (the exception names who does).</exception>
    /// <exception cref="ProposalDroppedException">Leadership changed and the command did not take effect.</exception>
    public Task<byte[]?> ProposeAsync(ulong groupId, ReadOnlyMemory<byte> command, CancellationToken cancellationToken = default)
    {
        if (command.Length > _options.MaxCommandBytes)
        {
            return Task.FromException<byte[]?>(new ArgumentException($"The command is {command.Length} bytes; the limit is {_options.MaxCommandBytes}.", nameof(command)));
        }

        var done = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        }

        Enqueue(new Input.Propose(groupId, command, done), done);
        return done.Task;
    }

    /// <summary>
    /// A linearizable read without writing to the log (ReadIndex): completes with an index once this node, as leader,
    /// has confirmed its leadership with a quorum and applied everything up to that index. Reading the state machine
    /// after that sees every write that completed before the call.
    /// </summary>
    /// <exception cref="NotLeaderException">This node does not lead the group, or lost leadership meanwhile.</exception>
    public Task<ulong> ReadIndexAsync(ulong groupId, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        }

        Enqueue(new Input.Read(groupId, done), null);
        return done.Task;
    }

    /// <summary>
    /// Proposes a membership change to a group (ADR 0010: one server at a time, a new node as a learner first) and
    /// completes once it is committed and applied here.
    /// </summary>
    /// <exception cref="NotLeaderException">This node does not lead the group.</exception>
    /// <exception cref="InvalidOperationException">The change is refused now (another is in flight, a transfer is under way, or it is invalid).</exception>
    public Task ProposeConfChangeAsync(ulong groupId, ConfChange change, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        }

        Enqueue(new Input.ChangeMembers(groupId, change, done), done);
        return done.Task;
    }

    /// <summary>
    /// Asks this node, if it leads the group, to hand leadership to <paramref name="to"/> (a voter); watch
    /// <see cref="StatusAsync"/> for the outcome. Abandoned after an election timeout if the target does not take over.
    /// </summary>
    public void TransferLeadership(ulong groupId, ulong to) => Enqueue(new Input.Transfer(groupId, to), null);

    /// <summary>Snapshots the group's state machine now and compacts its log behind it; completes with the snapshot taken.</summary>
    /// <exception cref="InvalidOperationException">A snapshot is being received for the group right now.</exception>
    public Task<SnapshotMetadata> SnapshotAsync(ulong groupId)
    {
        var done = new TaskCompletionSource<SnapshotMetadata>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Input.TakeSnapshot(groupId, done), null);
        return done.Task;
    }

    /// <summary>
    /// Receives a snapshot a leader streams to this node (see <see cref="IRaftTransport.SendSnapshot"/>): stores the
    /// file's bytes from <paramref name="data"/> in the group's snapshot store, verifies and publishes them, and only
    /// then hands <paramref name="message"/> to the group, which installs the snapshot if it still needs it. One
    /// snapshot per group at a time; thread-safe.
    /// </summary>
    /// <exception cref="ArgumentException">The message is not a snapshot for a group of this node.</exception>
    /// <exception cref="InvalidOperationException">Another snapshot for the group is arriving.</exception>
    /// <exception cref="Cairn.Core.LimitExceededException">The snapshot is larger than <see cref="RaftHostOptions.MaxSnapshotBytes"/>.</exception>
    /// <exception cref="Cairn.Storage.CorruptionException">The bytes do not verify; nothing is kept.</exception>
    public Task ReceiveSnapshotAsync(GroupMessage message, Stream data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReceiveSnapshotAsync(message, ReadChunksAsync(data, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// <see cref="ReceiveSnapshotAsync(GroupMessage, Stream, CancellationToken)"/> for bytes that arrive as chunks
    /// (an RPC stream's frames), each written to the file as it is, without another copy.
    /// </summary>
    public async Task ReceiveSnapshotAsync(GroupMessage message, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (message.Message.Type != MessageType.Snapshot || message.Message.Snapshot is not { IsEmpty: false } snapshot || message.Message.To != NodeId)
        {
            throw new ArgumentException($"Node {NodeId} expected a snapshot message for itself, got {message.Message.Type} to {message.Message.To}.", nameof(message));
        }

        if (!_groups.TryGetValue(message.GroupId, out var group))
        {
            throw new ArgumentException($"Node {NodeId} has no group {message.GroupId}.", nameof(message));
        }

        if (!group.TryBeginReceive())
        {
            throw new InvalidOperationException($"Node {NodeId} is already receiving a snapshot for group {message.GroupId}.");
        }

        try
        {
            using (var receiver = group.BeginReceive(snapshot))
            {
                await foreach (var chunk in chunks.WithCancellation(cancellationToken))
                {
                    Cairn.Core.LimitExceededException.ThrowIfAbove(
                        $"Snapshot {snapshot.Index}/{snapshot.Term} of group {message.GroupId} (RaftHostOptions.MaxSnapshotBytes)", receiver.Received + chunk.Length, _options.MaxSnapshotBytes);
                    receiver.WriteChunk(receiver.Received, chunk.Span);
                }

                group.CompleteReceive(receiver);
            }

            Deliver([message]);
        }
        finally
        {
            group.EndReceive();
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync(Stream data, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            while (await data.ReadAsync(buffer, cancellationToken) is var read and > 0)
            {
                yield return buffer.AsMemory(0, read); // written before the next read reuses the buffer
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Hands the host messages that arrived from peers. Dropped when the queue is full (Raft resends).</summary>
    public void Deliver(IReadOnlyList<GroupMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count > 0)
        {
            Enqueue(new Input.Inbound(messages), null);
        }
    }

    /// <summary>Asks the group to hold an election now (tests, and leader placement).</summary>
    public void Campaign(ulong groupId) => Enqueue(new Input.Campaign(groupId), null);

    /// <summary>The group's state as the loop sees it.</summary>
    public Task<RaftGroupStatus> StatusAsync(ulong groupId)
    {
        var done = new TaskCompletionSource<RaftGroupStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Input.Status(groupId, done), null);
        return done.Task;
    }

    /// <summary>Stops the loop; waiting proposals fail. Does not close the shared log.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        if (_started)
        {
            _thread.Join();
        }

        // A snapshot still being written finishes first: its files belong to the directory a restart reopens.
        var writes = _groups.Values.Select(g => g.SnapshotWrite).OfType<Task>().ToArray();
        try
        {
            Task.WaitAll(writes);
        }
        catch (AggregateException)
        {
            // A failed write left no record in the log; reopening cleans up its temporary file.
        }

        lock (_inputLock)
        {
            foreach (var input in _inputs)
            {
                input.Fail(new ObjectDisposedException(nameof(RaftHost)));
            }

            _inputs.Clear();
        }

        _wake.Dispose();
    }

    /// <param name="input">What to queue.</param>
    /// <param name="proposal">The proposal's completion, refused with a reason when the queue is full.</param>
    /// <param name="essential">Queued even when full: a lost snapshot report would leave a follower stuck.</param>
    private void Enqueue(Input input, TaskCompletionSource<byte[]?>? proposal, bool essential = false)
    {
        lock (_inputLock)
        {
            if (_stopping || _failure is not null)
            {
                input.Fail(_failure ?? new ObjectDisposedException(nameof(RaftHost)));
                return;
            }

            if (_inputs.Count >= _options.MaxQueuedInputs && !essential)
            {
                // Messages are dropped (Raft resends them); a proposal is refused with the reason.
                proposal?.TrySetException(new InvalidOperationException($"The Raft host of node {NodeId} has {_inputs.Count} inputs queued, its limit; retry later."));
                input.Fail(new InvalidOperationException("The Raft host is overloaded."));
                return;
            }

            _inputs.Add(input);
        }

        _wake.Set();
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        long ticksDone = 0;
        var ticksPerInterval = _options.TickInterval.Ticks;
        try
        {
            while (!_stopping)
            {
                var due = clock.Elapsed.Ticks / ticksPerInterval;
                var untilTick = TimeSpan.FromTicks(((ticksDone + 1) * ticksPerInterval) - clock.Elapsed.Ticks);
                if (!HasInputs() && !AnyReady() && untilTick > TimeSpan.Zero)
                {
                    _wake.WaitOne(untilTick);
                    due = clock.Elapsed.Ticks / ticksPerInterval;
                }

                // After a long stall tick once, not in a burst: a burst would make every follower campaign at once.
                ticksDone = Math.Max(ticksDone, due - 1);
                for (; ticksDone < due; ticksDone++)
                {
                    _ticks++;
                    foreach (var group in _groups.Values)
                    {
                        if (!group.Hibernating)
                        {
                            group.Node.Tick();
                            MaybeHibernate(group);
                        }
                    }

                    WatchSleepingLeaders();
                }

                HandleInputs();
                RunRound();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Fail-stop: after a failed log write (or a bug) nothing this node would say could be trusted. The
            // failure is kept for the host's owner, and every waiting proposer gets it.
            _failure = e;
        }
        finally
        {
            var reason = _failure ?? new ObjectDisposedException(nameof(RaftHost));
            foreach (var group in _groups.Values)
            {
                group.FailPending(reason is ObjectDisposedException ? reason : new IOException($"The Raft host of node {NodeId} stopped: {reason.Message}", reason));
            }
        }
    }

    private bool HasInputs()
    {
        lock (_inputLock)
        {
            return _inputs.Count > 0;
        }
    }

    private bool AnyReady()
    {
        foreach (var group in _groups.Values)
        {
            if (group.Node.HasReady)
            {
                return true;
            }
        }

        return false;
    }

    private void HandleInputs()
    {
        lock (_inputLock)
        {
            (_inputs, _draining) = (_draining, _inputs);
        }

        foreach (var input in _draining)
        {
            switch (input)
            {
                case Input.Inbound inbound:
                    foreach (var (groupId, message, hibernate) in inbound.Messages)
                    {
                        _lastHeard[message.From] = _ticks; // any message shows the sender's host is alive
                        if (!_groups.TryGetValue(groupId, out var group) || message.To != NodeId)
                        {
                            continue;
                        }

                        if (!hibernate)
                        {
                            if (message.Type != MessageType.HeartbeatResponse)
                            {
                                group.Wake(); // the answers to the last heartbeats before sleeping must not wake the leader
                            }

                            group.Node.Step(message);
                        }
                        else if (message.From == group.Node.LeaderId && message.Term == group.Node.Term && group.Node.Role == RaftRole.Follower)
                        {
                            group.Hibernate(); // only the leader this node follows, in its term, can put it to sleep
                        }
                    }

                    break;
                case Input.Propose propose:
                    if (!_groups.TryGetValue(propose.GroupId, out var target))
                    {
                        propose.Done.TrySetException(new KeyNotFoundException($"Node {NodeId} has no group {propose.GroupId}."));
                    }
                    else if (!propose.Done.Task.IsCompleted) // not cancelled while queued
                    {
                        target.Wake();
                        if (target.Proposals is null)
                        {
                            target.Proposals = [];
                            _proposing.Add(target);
                        }

                        target.Proposals.Add(propose);
                    }

                    break;
                case Input.Read read:
                    StartRead(read);
                    break;
                case Input.AddGroup add:
                    try
                    {
                        CreateGroup(add.GroupId, add.Peers, add.Machine);
                        add.Done.TrySetResult(null);
                    }
                    catch (Exception e) when (e is InvalidOperationException or IOException or Cairn.Storage.CorruptionException or FormatException)
                    {
                        add.Done.TrySetException(e);
                    }

                    break;
                case Input.RemoveGroup remove:
                    DropGroup(remove);
                    break;
                case Input.Campaign campaign:
                    if (_groups.TryGetValue(campaign.GroupId, out var campaigner))
                    {
                        campaigner.Wake();
                        campaigner.Node.Campaign();
                    }

                    break;
                case Input.ChangeMembers change:
                    ChangeMembers(change);
                    break;
                case Input.Transfer transfer:
                    if (_groups.TryGetValue(transfer.GroupId, out var transferring))
                    {
                        transferring.Wake();
                        transferring.Node.TransferLeadership(transfer.To);
                    }

                    break;
                case Input.SnapshotReport report:
                    if (_groups.TryGetValue(report.GroupId, out var reported))
                    {
                        reported.Wake();
                        reported.Node.ReportSnapshot(report.To, report.Delivered);
                    }

                    break;
                case Input.TakeSnapshot take:
                    if (!_groups.TryGetValue(take.GroupId, out var snapshotting))
                    {
                        take.Done.TrySetException(new KeyNotFoundException($"Node {NodeId} has no group {take.GroupId}."));
                    }
                    else
                    {
                        StartSnapshot(snapshotting, take.Done);
                    }

                    break;
                case Input.SnapshotWritten written:
                    if (_groups.TryGetValue(written.GroupId, out var finished))
                    {
                        FinishSnapshot(finished, written);
                    }

                    break;
                case Input.Status status:
                    if (_groups.TryGetValue(status.GroupId, out var asked))
                    {
                        status.Done.TrySetResult(asked.Status);
                    }
                    else
                    {
                        status.Done.TrySetException(new KeyNotFoundException($"Node {NodeId} has no group {status.GroupId}."));
                    }

                    break;
            }
        }

        _draining.Clear();
        foreach (var group in _proposing)
        {
            ProposeRound(group, group.Proposals!);
            group.Proposals = null;
        }

        _proposing.Clear();
    }

    private void StartRead(Input.Read read)
    {
        if (!_groups.TryGetValue(read.GroupId, out var group))
        {
            read.Done.TrySetException(new KeyNotFoundException($"Node {NodeId} has no group {read.GroupId}."));
            return;
        }

        group.Wake();
        if (group.Node.Role != RaftRole.Leader)
        {
            read.Done.TrySetException(new NotLeaderException(group.Id, group.Node.LeaderId));
            return;
        }

        if (group.Reads.Count >= _options.MaxPendingProposals)
        {
            read.Done.TrySetException(new InvalidOperationException($"Group {group.Id} has {group.Reads.Count} reads waiting, its limit; retry later."));
            return;
        }

        var context = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(context, ++_readSequence);
        group.Reads[_readSequence] = read.Done;
        group.Node.ReadIndex(context);
    }

    private void ChangeMembers(Input.ChangeMembers change)
    {
        if (!_groups.TryGetValue(change.GroupId, out var group))
        {
            change.Done.TrySetException(new KeyNotFoundException($"Node {NodeId} has no group {change.GroupId}."));
            return;
        }

        group.Wake();
        var result = group.Node.ProposeConfChange(change.Change);
        if (result.Accepted)
        {
            group.Pending[result.Index] = (result.Term, change.Done);
        }
        else if (result.Refusal == ProposeRefusal.NotLeader)
        {
            change.Done.TrySetException(new NotLeaderException(group.Id, result.LeaderId));
        }
        else
        {
            change.Done.TrySetException(new InvalidOperationException($"Group {group.Id} refused {change.Change.Type} of node {change.Change.NodeId}: {result.Refusal}."));
        }
    }

    /// <summary>
    /// Starts a snapshot of the group's state machine at its applied index: the state is captured here, on the loop
    /// (<see cref="IGroupStateMachine.CaptureSnapshot"/>), and written and fsynced on the thread pool, so the host's
    /// other groups do not wait for the disk. <see cref="FinishSnapshot"/> records it once written. One at a time per
    /// group, and not while a leader's snapshot for the group is arriving (their files could collide).
    /// </summary>
    private void StartSnapshot(RaftGroup group, TaskCompletionSource<SnapshotMetadata>? done)
    {
        if (group.Applied == group.Log.Snapshot.Index)
        {
            if (group.Log.Snapshot.IsEmpty)
            {
                done?.TrySetException(new InvalidOperationException($"Group {group.Id} has applied nothing to snapshot."));
            }
            else
            {
                done?.TrySetResult(group.Log.Snapshot);
            }

            return;
        }

        if (group.SnapshotWrite is not null)
        {
            if (done is not null)
            {
                group.SnapshotWaiters.Add(done); // answered when the one being written is recorded
            }

            return;
        }

        var snapshot = group.Node.SnapshotMetadataAt(group.Applied);
        var capture = group.Machine.CaptureSnapshot();
        var write = group.WriteSnapshotInBackground(snapshot, capture);
        if (write is null)
        {
            done?.TrySetException(new InvalidOperationException($"Group {group.Id} is receiving a snapshot; try again."));
            return;
        }

        if (done is not null)
        {
            group.SnapshotWaiters.Add(done);
        }

        group.SnapshotWrite = write;
        var groupId = group.Id;
        _ = write.ContinueWith(
            finished => Enqueue(new Input.SnapshotWritten(groupId, snapshot, finished.Exception?.InnerException), null, essential: true),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// A snapshot's file is written: records it in the log with a commit of its own (so the log never names a file
    /// that is not there, nor loses the one it names), compacts the log behind it keeping
    /// <see cref="RaftHostOptions.CatchUpEntries"/> for followers slightly behind, and deletes older snapshot files.
    /// A snapshot that a leader's, installed meanwhile, has overtaken is dropped.
    /// </summary>
    private void FinishSnapshot(RaftGroup group, Input.SnapshotWritten written)
    {
        group.SnapshotWrite = null;
        var waiters = group.SnapshotWaiters.ToList();
        group.SnapshotWaiters.Clear();
        var snapshot = written.Snapshot;
        if (written.Error is not null)
        {
            // The log is untouched, so nothing is lost: the next snapshot tries again.
            waiters.ForEach(w => w.TrySetException(new IOException($"Group {group.Id}: writing snapshot {snapshot.Index} failed: {written.Error.Message}", written.Error)));
            return;
        }

        if (snapshot.Index > group.Log.Snapshot.Index && snapshot.Index >= group.Log.CompactedIndex)
        {
            group.Log.CreateSnapshot(snapshot);
            var keepFrom = snapshot.Index + 1 > (ulong)_options.CatchUpEntries ? snapshot.Index + 1 - (ulong)_options.CatchUpEntries : 0;
            if (keepFrom > group.Log.FirstIndex)
            {
                group.Log.CompactTo(keepFrom);
            }

            _log.Commit();
        }

        group.DeleteSnapshotsOlderThan(group.Log.Snapshot);
        waiters.ForEach(w => w.TrySetResult(group.Log.Snapshot));
    }

    /// <summary>A round's proposals to one group go in as one batch: one append per follower instead of one each.</summary>
    private void ProposeRound(RaftGroup group, List<Input.Propose> proposals)
    {
        var room = _options.MaxPendingProposals - group.Pending.Count;
        if (room < proposals.Count)
        {
            foreach (var refused in proposals.Skip(Math.Max(room, 0)))
            {
                refused.Done.TrySetException(new InvalidOperationException($"Group {group.Id} has {group.Pending.Count} proposals waiting to commit, its limit; retry later."));
            }

            if (room <= 0)
            {
                return;
            }

            proposals = proposals[..room];
        }

        var commands = new ReadOnlyMemory<byte>[proposals.Count];
        for (var i = 0; i < commands.Length; i++)
        {
            commands[i] = proposals[i].Command;
        }

        var result = group.Node.ProposeBatch(commands);
        for (var i = 0; i < proposals.Count; i++)
        {
            if (result.Accepted)
            {
                group.Pending[result.Index + (ulong)i] = (result.Term, proposals[i].Done);
            }
            else
            {
                proposals[i].Done.TrySetException(new NotLeaderException(group.Id, result.LeaderId));
            }
        }
    }

    /// <summary>
    /// A led group that has been idle long enough, with everything committed and nobody waiting, stops ticking and
    /// tells its followers to stop too. Only liveness depends on ticks, never safety; a follower woken by anything
    /// ticks again and, if the leader is gone, elects another after its election timeout.
    /// </summary>
    private void MaybeHibernate(RaftGroup group)
    {
        if (_options.HibernateAfterTicks <= 0 || group.Node.Role != RaftRole.Leader)
        {
            return;
        }

        if (group.Pending.Count > 0 || group.Node.CommitIndex != group.Node.LastIndex || group.Applied != group.Node.CommitIndex)
        {
            group.IdleTicks = 0;
            return;
        }

        if (++group.IdleTicks < _options.HibernateAfterTicks)
        {
            return;
        }

        group.Hibernate();
        foreach (var peer in group.Members)
        {
            if (peer != NodeId)
            {
                // Sent after this round's messages (the last heartbeats), which would otherwise wake the follower.
                _notices.Add(new GroupMessage(group.Id, new Message { Type = MessageType.Heartbeat, From = NodeId, To = peer, Term = group.Node.Term }, Hibernate: true));
            }
        }
    }

    /// <summary>
    /// Sleeping groups hear no heartbeats, so a follower cannot tell a sleeping leader from a dead one. Hosts ping
    /// each other once per election timeout instead (one small message per peer, however many groups); when a
    /// leader's host has been silent for three pings, this host wakes the groups it follows there, which then elect
    /// a new leader if the old one is really gone (or wake it with their pre-votes if it is not).
    /// </summary>
    private void WatchSleepingLeaders()
    {
        if (_options.HibernateAfterTicks <= 0)
        {
            return;
        }

        var every = Math.Max(1, _options.Raft.ElectionTick);
        if (_ticks % every != 0)
        {
            return;
        }

        if (_peers is null)
        {
            _peers = [.. _groups.Values.SelectMany(g => g.Members).Where(m => m != NodeId).Distinct()];
            foreach (var peer in _peers)
            {
                _lastHeard.TryAdd(peer, _ticks);
            }
        }

        foreach (var peer in _peers)
        {
            _notices.Add(new GroupMessage(0, new Message { Type = MessageType.Heartbeat, From = NodeId, To = peer }, Hibernate: true));
        }

        foreach (var group in _groups.Values)
        {
            var leader = group.Node.LeaderId;
            if (group.Hibernating && leader != NodeId && (leader == RawNode.None || _ticks - _lastHeard.GetValueOrDefault(leader, _ticks) > 3L * every))
            {
                group.Wake();
            }
        }
    }

    /// <summary>One round: persist every group's ready with one fsync, then send, apply and advance.</summary>
    private void RunRound()
    {
        List<(RaftGroup Group, Ready Ready)>? readies = null;
        foreach (var group in _groups.Values)
        {
            if (!group.Node.HasReady)
            {
                continue;
            }

            var ready = group.Node.Ready();
            if (ready.Entries.Count > 0 || ready.CommittedEntries.Count > 0)
            {
                group.IdleTicks = 0;
            }

            if (ready.Snapshot is { } snapshot)
            {
                group.Log.ApplySnapshot(snapshot); // its file is already on disk: the message came after it
            }

            group.Log.Append(ready.Entries);
            if (ready.HardState is { } hardState)
            {
                group.Log.SetHardState(hardState);
            }

            (readies ??= []).Add((group, ready));
        }

        if (readies is null && _notices.Count == 0)
        {
            return;
        }

        readies ??= [];
        _log.Commit(); // one fsync for every group's appends of this round, before any message promises them

        Dictionary<ulong, List<GroupMessage>>? outgoing = null;
        void Add(GroupMessage message)
        {
            outgoing ??= [];
            if (!outgoing.TryGetValue(message.Message.To, out var forPeer))
            {
                outgoing[message.Message.To] = forPeer = [];
            }

            forPeer.Add(message);
        }

        foreach (var (group, ready) in readies)
        {
            foreach (var message in ready.Messages)
            {
                if (message.Type == MessageType.Snapshot)
                {
                    SendSnapshot(group, message);
                }
                else
                {
                    Add(new GroupMessage(group.Id, message));
                }
            }
        }

        _notices.ForEach(Add);
        _notices.Clear();

        if (outgoing is not null)
        {
            foreach (var (peer, messages) in outgoing)
            {
                _transport.Send(peer, messages);
            }
        }

        foreach (var (group, ready) in readies)
        {
            if (ready.Snapshot is { } snapshot)
            {
                group.RestoreFrom(snapshot);
                _peers = null;
            }

            group.Apply(ready.CommittedEntries);
            if (ready.CommittedEntries.Any(e => e.Type == EntryType.ConfChange))
            {
                group.UpdateMembers();
                _peers = null; // pings go to the new set of peers
            }

            group.ConfirmReads(ready.ReadStates);
            group.Node.Advance(ready);
            if (group.Node.Role != RaftRole.Leader)
            {
                group.FailReads(); // a read the core dropped with its leadership would otherwise wait forever
            }

            if (_options.SnapshotEntries > 0 && group.SnapshotWrite is null && group.Applied - group.Log.Snapshot.Index >= (ulong)_options.SnapshotEntries)
            {
                StartSnapshot(group, done: null);
            }
        }
    }

    /// <summary>
    /// Streams the snapshot a <see cref="MessageType.Snapshot"/> names to its follower in the background; the outcome
    /// comes back as an input, and the leader probes the follower again either way.
    /// </summary>
    private void SendSnapshot(RaftGroup group, Message message)
    {
        Stream data;
        try
        {
            data = group.OpenSnapshot(message.Snapshot!);
        }
        catch (IOException)
        {
            // Replaced meanwhile: the next probe names the new one.
            Enqueue(new Input.SnapshotReport(group.Id, message.To, Delivered: false), null, essential: true);
            return;
        }

        var groupId = group.Id;
        var to = message.To;
        _transport.SendSnapshot(to, new GroupMessage(groupId, message), data, delivered => Enqueue(new Input.SnapshotReport(groupId, to, delivered), null, essential: true));
    }

    internal abstract record Input
    {
        public virtual void Fail(Exception reason)
        {
        }

        public sealed record Inbound(IReadOnlyList<GroupMessage> Messages) : Input;

        public sealed record Propose(ulong GroupId, ReadOnlyMemory<byte> Command, TaskCompletionSource<byte[]?> Done) : Input
        {
            public override void Fail(Exception reason) => Done.TrySetException(reason);
        }

        public sealed record Campaign(ulong GroupId) : Input;

        public sealed record AddGroup(ulong GroupId, ulong[] Peers, IGroupStateMachine Machine, TaskCompletionSource<byte[]?> Done) : Input
        {
            public override void Fail(Exception reason) => Done.TrySetException(reason);
        }

        public sealed record RemoveGroup(ulong GroupId, TaskCompletionSource<byte[]?> Done) : Input
        {
            public override void Fail(Exception reason) => Done.TrySetException(reason);
        }

        public sealed record Transfer(ulong GroupId, ulong To) : Input;

        public sealed record SnapshotReport(ulong GroupId, ulong To, bool Delivered) : Input;

        public sealed record ChangeMembers(ulong GroupId, ConfChange Change, TaskCompletionSource<byte[]?> Done) : Input
        {
            public override void Fail(Exception reason) => Done.TrySetException(reason);
        }

        public sealed record SnapshotWritten(ulong GroupId, SnapshotMetadata Snapshot, Exception? Error) : Input;

        public sealed record TakeSnapshot(ulong GroupId, TaskCompletionSource<SnapshotMetadata> Done) : Input
        {
            public override void Fail(Exception reason) => Done.TrySetException(reason);
        }

        public sealed record Read(ulong GroupId, TaskCompletionSource<ulong> Done) : Input
        {
            public override void Fail(Exception reason) => Done.TrySetException(reason);
        }

        public sealed record Status(ulong GroupId, TaskCompletionSource<RaftGroupStatus> Done) : Input
        {
            public override void Fail(Exception reason) => Done.TrySetException(reason);
        }
    }
}

using Cairn.Raft;
using Cairn.Raft.Storage;
using Cairn.Simulation.Checking;
using Cairn.Simulation.Kv;
using Cairn.Storage;
using Cairn.Testing;

namespace Cairn.Simulation.World;

/// <summary>
/// One simulated process: a <see cref="RawNode"/> over a <see cref="DurableRaftLog"/> on its own
/// <see cref="FaultInjectingFileSystem"/>, the KV state machine it applies to, and the host loop that
/// <see cref="Ready"/> prescribes (persist, then send, then apply, then advance). The disk outlives the process:
/// a kill throws away the process, the disk keeps what was durable, and a restart reopens the log from it.
/// </summary>
public sealed class SimNode
{
    private const string LogDirectory = "/raft";
    private const string SnapshotDirectory = "/snap";

    private readonly SimulatedWorld _world;

    // Requests this node proposed and must answer when it applies them: op id -> term it proposed in.
    private readonly Dictionary<long, ulong> _awaiting = [];

    // Gets asked through ReadIndex (op id -> command), and those whose read index is known, served once applied.
    private readonly Dictionary<long, KvCommand> _reading = [];
    private readonly List<(ulong Index, KvCommand Command)> _readable = [];
    private int _crashesSeen;

    internal SimNode(SimulatedWorld world, ulong id, int diskSeed)
    {
        _world = world;
        Id = id;
        Disk = new FaultInjectingFileSystem(diskSeed);
    }

    public ulong Id { get; }

    public FaultInjectingFileSystem Disk { get; }

    public NodeStatus Status { get; private set; } = NodeStatus.Down;

    public DurableRaftLog? Log { get; private set; }

    /// <summary>The state machine snapshots on this node's disk (its own, or one a leader sent).</summary>
    public SnapshotStore? Snapshots { get; private set; }

    /// <summary>Snapshots this node installed from a leader since it was created.</summary>
    public int SnapshotsInstalled { get; private set; }

    /// <summary>The bytes of the snapshot a leader's Snapshot message carries, set by the network while it is stepped.</summary>
    internal (byte[] Data, LogMirror Source)? IncomingSnapshot { get; set; }

    /// <summary>When set, the next snapshot install kills the process at that many disk writes from its start.</summary>
    internal (long Writes, CrashMode Mode)? CrashInNextInstall { get; set; }

    public RawNode? Raft { get; private set; }

    public KvStateMachine Machine { get; private set; } = new();

    public LogMirror Mirror { get; } = new();

    /// <summary>A disk fault (full disk, bit flip) was injected since the last restart: stopping on an I/O error is then fine.</summary>
    public bool DiskFaulted { get; private set; }

    /// <summary>A bit was flipped on this disk at some point: refusing to open the log is then fine.</summary>
    public bool BitFlipped { get; private set; }

    public int Restarts { get; private set; }

    /// <summary>Gets this node answered through ReadIndex (<see cref="SimulationOptions.ReadIndexReads"/>).</summary>
    public int ReadsServed { get; private set; }

    public bool IsLeader => Status == NodeStatus.Up && Raft?.Role == RaftRole.Leader;

    /// <summary>Starts (or restarts) the process from what its disk holds.</summary>
    internal void Start()
    {
        if (Status is NodeStatus.Up or NodeStatus.Unrecoverable)
        {
            return;
        }

        if (Log is not null)
        {
            Disk.RestartAfter(Log);
            Log = null;
        }
        else if (Disk.Crashes > 0)
        {
            Disk.Restart();
        }

        Disk.CapacityBytes = null;
        DiskFaulted = false;
        _crashesSeen = Disk.Crashes;
        Machine = new KvStateMachine
        {
            SkipDeduplication = _world.Options.Sabotage == Sabotage.SkipDeduplication,
            ValueSkew = _world.Options.Sabotage == Sabotage.DivergentReplica && Id == 1 ? 1 : 0,
        };
        _awaiting.Clear();
        _reading.Clear();
        _readable.Clear();
        try
        {
            Log = DurableRaftLog.Open(Disk, LogDirectory, new DurableRaftLogOptions { SegmentSize = _world.Options.SegmentSize });
            Mirror.Rebuild(Log);
            Snapshots = SnapshotStore.Open(Disk, SnapshotDirectory);
            if (!Log.Snapshot.IsEmpty)
            {
                // The state machine starts from the snapshot the log is based on, then replays the entries after it.
                Snapshots.Restore(Log.Snapshot, Machine);
                _world.Convergence.OnApplied(Id, Machine.AppliedIndex, Machine.StateHash);
            }
        }
        catch (IOException e) when (Disk.Crashes > _crashesSeen)
        {
            // A scheduled crash hit the recovery itself; the process died again and will be restarted again.
            Log = null;
            Status = NodeStatus.Down;
            _world.Trace.Record(_world.Now, "died-in-open", Id, 0, 0, e.Message);
            _world.OnNodeStopped(this);
            return;
        }
        catch (CorruptionException e) when (BitFlipped)
        {
            Log = null;
            Status = NodeStatus.Unrecoverable;
            _world.Trace.Record(_world.Now, "refused-open", Id, 0, 0, e.Message);
            return;
        }

        var config = new RaftConfig
        {
            Id = Id,
            Peers = _world.BootstrapPeers,
            ElectionTick = _world.Options.ElectionTick,
            HeartbeatTick = _world.Options.HeartbeatTick,
            CheckQuorum = _world.Options.CheckQuorum,
            PreVote = _world.Options.PreVote,
            MaxInflightMessages = _world.Options.MaxInflightMessages,
            MaxBytesPerAppend = _world.Options.MaxBytesPerAppend,
            Applied = Machine.AppliedIndex,
        };
        Raft = new RawNode(config, Log, new Random(_world.Random.Next()));
        Status = NodeStatus.Up;
        Restarts++;
        _world.Trace.Record(_world.Now, "start", Id, 0, Log.LastIndex, $"log {Log.LastIndex} entries, hard state {Log.HardState}");
        _world.Invariants.OnAppended(this, 1, Mirror.LastIndex, _world.Nodes);
        Run(() => { });
    }

    /// <summary>Kills the process: the disk keeps what was synced (and, per <paramref name="mode"/>, some of what was not).</summary>
    internal void Kill(CrashMode mode)
    {
        if (Status != NodeStatus.Up)
        {
            return;
        }

        Disk.Crash(mode);
        Stop(NodeStatus.Down, $"killed ({mode})");
    }

    /// <summary>
    /// Snapshots the state machine at its applied index (written to the snapshot store, recorded in the log), then
    /// compacts the log up to it; returns the snapshot's index.
    /// </summary>
    internal ulong TakeSnapshot()
    {
        var index = 0UL;
        Run(() =>
        {
            if (Machine.AppliedIndex <= Log!.Snapshot.Index)
            {
                index = Log.Snapshot.Index; // nothing new to snapshot
                return;
            }

            var snapshot = Raft!.SnapshotMetadataAt(Machine.AppliedIndex);
            Snapshots!.Write(snapshot, Machine);
            Log!.CreateSnapshot(snapshot);
            Log.CompactTo(snapshot.Index);
            index = snapshot.Index;
            _world.Trace.Record(_world.Now, "snapshot", Id, 0, index, $"snapshot at {index}, log from {Log.FirstIndex}");
        });
        return index;
    }

    /// <summary>The data of this node's snapshot <paramref name="snapshot"/>, as a leader streams it to a follower.</summary>
    internal byte[] ReadSnapshotData(SnapshotMetadata snapshot)
    {
        var copy = new KvStateMachine();
        Snapshots!.Restore(snapshot, copy);
        using var data = new MemoryStream();
        copy.CreateSnapshot(data);
        return data.ToArray();
    }

    /// <summary>Makes the next few writes fail by killing the process in the middle of one (torn or lost writes).</summary>
    internal void CrashDuringWrite(long mutatingOperations, CrashMode mode) => Disk.ScheduleCrash(mutatingOperations, mode);

    /// <summary>Leaves only <paramref name="slack"/> bytes free: the next writes past that fail with "no space left".</summary>
    internal void FillDisk(long slack)
    {
        Disk.CapacityBytes = Disk.AllFiles().Sum(Disk.LengthOf) + slack;
        DiskFaulted = true;
    }

    /// <summary>Flips a bit at rest in a file the log will have to read (a segment, the hard state, the snapshot record).</summary>
    internal bool FlipBit(Random random)
    {
        var files = Disk.AllFiles().Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal) && !f.EndsWith("LOCK", StringComparison.Ordinal)).ToList();
        var segments = files.Where(f => f.EndsWith(".rlog", StringComparison.Ordinal)).ToList();
        var spared = _world.Options.BitFlipsInLastSegment ? 0 : 1;
        var candidates = files.Where(f => !f.EndsWith(".rlog", StringComparison.Ordinal)).Concat(segments.Take(Math.Max(0, segments.Count - spared)))
            .Where(f => Disk.LengthOf(f) > 0)
            .ToList();
        if (candidates.Count == 0)
        {
            return false;
        }

        var path = candidates[random.Next(candidates.Count)];
        var offset = random.NextInt64(Disk.LengthOf(path));
        Disk.FlipBit(path, offset, random.Next(8));
        DiskFaulted = true;
        BitFlipped = true;
        _world.Trace.Record(_world.Now, "bit-flip", Id, 0, (ulong)offset, $"{path} @{offset}");
        return true;
    }

    /// <summary>
    /// Flips a bit at rest in the data of the last entry of the last log segment: the newest synced entry, which the
    /// node may already have acknowledged. Only the 16-byte seal that ends every append lies after it.
    /// </summary>
    internal void FlipBitInLastEntry()
    {
        const int sealSize = 16;
        var segment = Disk.AllFiles().Where(f => f.EndsWith(".rlog", StringComparison.Ordinal) && Disk.LengthOf(f) > sealSize).Order(StringComparer.Ordinal).Last();
        var offset = Disk.LengthOf(segment) - sealSize - 1;
        Disk.FlipBit(segment, offset);
        DiskFaulted = true;
        BitFlipped = true;
        _world.Trace.Record(_world.Now, "bit-flip", Id, 0, (ulong)offset, $"{segment} @{offset}");
    }

    /// <summary>Runs <paramref name="action"/> against the running node, then its host loop; a disk failure stops the process.</summary>
    internal void Run(Action action)
    {
        if (Status != NodeStatus.Up)
        {
            return;
        }

        var (role, term) = (Raft!.Role, Raft.Term);
        try
        {
            action();
            Pump();
            if (Raft.Role != role || Raft.Term != term)
            {
                _world.Trace.Record(_world.Now, "role", Id, 0, StableHash.Combine((ulong)Raft.Role, Raft.Term), $"{role} term {term} -> {Raft.Role} term {Raft.Term}");
            }
        }
        catch (IOException e) when (Disk.Crashes > _crashesSeen)
        {
            // The scheduled crash fired: the process died in the middle of a write.
            Stop(NodeStatus.Down, $"died mid-write: {e.Message}");
            return;
        }
        catch (IOException e) when (DiskFaulted)
        {
            // The node met the disk error it was given and stops rather than carry on with a log it cannot trust.
            Disk.Crash(CrashMode.DropUnsynced);
            Stop(NodeStatus.Failed, $"stopped on disk error: {e.Message}");
            return;
        }

        _world.Invariants.AfterEvent(this);
    }

    internal void HandleRequest(ClientRequest request)
    {
        Run(() =>
        {
            var raft = Raft!;
            var command = request.Command;
            if (Machine.TryGetApplied(command, out var result))
            {
                Reply(command, new ClientReply(command.Seq, false, 0, result));
                return;
            }

            if (Machine.LastSeqOf(command.Client) > command.Seq)
            {
                return; // the client has moved on
            }

            if (_awaiting.TryGetValue(command.OpId, out var term) && term == raft.Term && raft.Role == RaftRole.Leader)
            {
                return; // already in this leader's log; the reply comes when it applies
            }

            if (command.Kind == KvOpKind.Get && _world.Options.ReadIndexReads)
            {
                if (_world.Options.Sabotage == Sabotage.ReadWithoutQuorum)
                {
                    Reply(command, new ClientReply(command.Seq, false, 0, new KvResult(true, Machine.ValueOf(command.Key))));
                    return;
                }

                // No log entry: ask a quorum to confirm the leader, then read the state once applied that far.
                _reading[command.OpId] = command;
                raft.ReadIndex(BitConverter.GetBytes(command.OpId));
                _world.Trace.Record(_world.Now, "read-index", Id, 0, (ulong)command.OpId, command);
                return;
            }

            var proposed = raft.Propose(command.Encode());
            if (proposed.Accepted)
            {
                _awaiting[command.OpId] = proposed.Term;
                _world.Trace.Record(_world.Now, "propose", Id, 0, proposed.Index, command);
                if (_world.Options.Sabotage == Sabotage.AnswerOnPropose && command.Kind != KvOpKind.Get)
                {
                    Reply(command, new ClientReply(command.Seq, false, 0, new KvResult(true, command.Value)));
                }
            }
            else
            {
                Reply(command, new ClientReply(command.Seq, true, proposed.LeaderId, default));
            }
        });
    }

    private void Pump()
    {
        var raft = Raft!;
        var log = Log!;
        while (raft.HasReady)
        {
            var ready = raft.Ready();
            if (ready.Snapshot is { } snapshot)
            {
                InstallSnapshot(snapshot);
            }

            var sendFirst = _world.Options.Sabotage == Sabotage.SendBeforePersist;
            if (sendFirst)
            {
                foreach (var message in ready.Messages)
                {
                    _world.SendRaft(message);
                }
            }

            if (ready.Entries.Count > 0)
            {
                log.Append(ready.Entries);
                Mirror.Append(ready.Entries);
                _world.Invariants.OnAppended(this, ready.Entries[0].Index, ready.Entries[^1].Index, _world.Nodes);
            }

            if (ready.HardState is { } state)
            {
                log.SetHardState(state);
            }

            foreach (var message in sendFirst ? [] : ready.Messages)
            {
                _world.SendRaft(message);
            }

            foreach (var entry in ready.CommittedEntries)
            {
                Apply(entry);
            }

            foreach (var read in ready.ReadStates)
            {
                if (_reading.Remove(BitConverter.ToInt64(read.Context.Span), out var command))
                {
                    _readable.Add((read.Index, command));
                }
            }

            ServeReads();

            raft.Advance(ready);
        }
    }

    /// <summary>Persists a leader's snapshot (its file first, then the log's switch to it), then restores the state machine from it.</summary>
    private void InstallSnapshot(SnapshotMetadata snapshot)
    {
        var (data, source) = IncomingSnapshot ?? throw new InvalidOperationException($"Node {Id} must install snapshot {snapshot.Index} but no data came with it.");
        if (CrashInNextInstall is { } crash)
        {
            CrashInNextInstall = null;
            Disk.ScheduleCrash(crash.Writes, crash.Mode);
        }

        // The mirror first: should the process die in the middle, the restart rebuilds it from what the log kept.
        Mirror.InstallFrom(source, snapshot.Index);
        Snapshots!.Write(snapshot, stream => stream.Write(data));
        Log!.ApplySnapshot(snapshot);
        var machine = new KvStateMachine
        {
            SkipDeduplication = Machine.SkipDeduplication,
            ValueSkew = Machine.ValueSkew,
        };
        using (var stream = new MemoryStream(data))
        {
            machine.RestoreSnapshot(stream);
        }

        Machine = machine;
        SnapshotsInstalled++;
        _awaiting.Clear();
        _world.Convergence.OnApplied(Id, Machine.AppliedIndex, Machine.StateHash);
        _world.Trace.Record(_world.Now, "install-snapshot", Id, 0, snapshot.Index, $"snapshot {snapshot.Index}/{snapshot.Term}");
    }

    private void Apply(Entry entry)
    {
        // A membership change took effect when it was appended; to the KV machine it is a no-op.
        var applied = Machine.Apply(entry.Index, entry.Type == EntryType.Normal ? entry.Data.Span : []);
        _world.Convergence.OnApplied(Id, entry.Index, Machine.StateHash);
        if (applied is { } effect && Machine.LastApplyTookEffect)
        {
            _world.Convergence.OnTookEffect(Id, effect.Command.OpId, entry.Index);
        }

        if (applied is var (command, result) && _awaiting.Remove(command.OpId))
        {
            Reply(command, new ClientReply(command.Seq, false, 0, result));
        }
    }

    private void ServeReads()
    {
        for (var i = 0; i < _readable.Count; i++)
        {
            var (index, command) = _readable[i];
            if (index <= Machine.AppliedIndex)
            {
                _world.Trace.Record(_world.Now, "serve-read", Id, index, (ulong)command.OpId, command);
                Reply(command, new ClientReply(command.Seq, false, 0, new KvResult(true, Machine.ValueOf(command.Key))));
                _readable.RemoveAt(i--);
                ReadsServed++;
            }
        }
    }

    private void Reply(KvCommand command, ClientReply reply) => _world.SendToClient(Id, command.Client, reply);

    private void Stop(NodeStatus status, string why)
    {
        Status = status;
        Raft = null;
        _awaiting.Clear();
        _reading.Clear();
        _readable.Clear();
        _world.Trace.Record(_world.Now, "stop", Id, 0, (ulong)status, why);
        _world.OnNodeStopped(this);
    }
}

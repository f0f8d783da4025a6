using Cairn.Meta.Protocol;
using Cairn.Raft.Hosting;
using Google.Protobuf;

namespace Cairn.Meta;

/// <summary>
/// The control group's replicated state machine. Deterministic and sans-IO: it reads no clock, draws no random
/// numbers and does no I/O, so every replica that applies the same commands holds the same <see cref="State"/>.
/// Every command gets a <see cref="MetaReply"/>; a malformed, stale or refused command leaves the state as it was
/// and never throws. Not thread-safe: the host applies from one thread; readers take <see cref="State"/>, an
/// immutable value.
/// </summary>
public sealed class ControlStateMachine : IGroupStateMachine
{
    private readonly bool _checkInvariants;

    /// <summary>Creates an empty (not bootstrapped) machine.</summary>
    /// <param name="limits">Its limits; every replica must use the same. <see cref="ControlLimits.Default"/> when null.</param>
    /// <param name="checkInvariants">
    /// Whether to check <see cref="ClusterInvariants"/> after every command (throwing on a violation, which is a bug).
    /// Defaults to on in debug builds.
    /// </param>
    public ControlStateMachine(ControlLimits? limits = null, bool? checkInvariants = null)
    {
        Limits = limits ?? ControlLimits.Default;
#if DEBUG
        _checkInvariants = checkInvariants ?? true;
#else
        _checkInvariants = checkInvariants ?? false;
#endif
    }

    /// <summary>Raised after each applied command with the new state, on the applying thread (for caches and watchers).</summary>
    public event Action<ClusterState>? StateChanged;

    /// <summary>The limits in force.</summary>
    public ControlLimits Limits { get; }

    /// <summary>The state after the last applied command.</summary>
    public ClusterState State { get; private set; } = ClusterState.Empty;

    /// <summary>
    /// Applies the command committed at <paramref name="index"/> and returns its encoded <see cref="MetaReply"/>.
    /// An index at or below the last applied one was applied already: the state stays and the reply says so.
    /// </summary>
    public byte[]? Apply(ulong index, ReadOnlyMemory<byte> command) => ApplyCommand(index, command).ToByteArray();

    /// <summary>Like <see cref="Apply"/>, returning the reply unencoded.</summary>
    public MetaReply ApplyCommand(ulong index, ReadOnlyMemory<byte> command)
    {
        var previous = State;
        if (index <= previous.Version)
        {
            return new MetaReply
            {
                Status = MetaStatus.AlreadyApplied,
                Error = $"Index {index} is at or before the last applied index {previous.Version}.",
                ClusterEpoch = previous.Epoch,
            };
        }

        var (next, reply) = Transition(previous, command);
        next = next.WithVersion(index);
        if (_checkInvariants)
        {
            ClusterInvariants.CheckSuccessor(previous, next);
            ClusterInvariants.Check(next, Limits);
        }

        State = next;
        StateChanged?.Invoke(next);
        return reply;
    }

    /// <summary>Checks every invariant of the current state; throws <see cref="InvalidOperationException"/> naming the broken ones.</summary>
    public void CheckInvariants() => ClusterInvariants.Check(State, Limits);

    /// <summary>Writes the current state to <paramref name="destination"/>: deterministic, versioned and checksummed.</summary>
    public void WriteSnapshot(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ControlSnapshot.Write(State, destination);
    }

    /// <summary>Captures the current state for writing on another thread: the state is immutable, so this costs nothing.</summary>
    public Action<Stream> CaptureSnapshot()
    {
        var state = State;
        return destination => ControlSnapshot.Write(state, destination);
    }

    /// <summary>
    /// Replaces the state with the one <see cref="WriteSnapshot"/> wrote to <paramref name="source"/>. Throws
    /// <see cref="InvalidDataException"/> and keeps the current state when the snapshot is truncated, corrupt, of
    /// another format, beyond the limits, or describes an inconsistent state.
    /// </summary>
    public void RestoreSnapshot(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        State = ControlSnapshot.Read(source, Limits);
        StateChanged?.Invoke(State);
    }

    private (ClusterState State, MetaReply Reply) Transition(ClusterState state, ReadOnlyMemory<byte> command)
    {
        if (command.Length > Limits.MaxCommandSize)
        {
            return (state, Refused(state, MetaStatus.LimitExceeded, $"The command is {command.Length} bytes; the limit is {Limits.MaxCommandSize}."));
        }

        MetaCommand parsed;
        try
        {
            parsed = MetaCommand.Parser.ParseFrom(command.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            return (state, Refused(state, MetaStatus.Invalid, $"The command does not parse as a MetaCommand ({e.Message})."));
        }

        return ControlTransitions.Apply(state, parsed, Limits);
    }

    private static MetaReply Refused(ClusterState state, MetaStatus status, string why) =>
        new() { Status = status, Error = why, ClusterEpoch = state.Epoch };
}

using System.Buffers.Binary;
using System.Collections.Immutable;
using Cairn.Core;
using Cairn.Meta.Protocol;
using Google.Protobuf;

namespace Cairn.Meta;

/// <summary>
/// The control state's snapshot encoding: <c>"CAIRNCTL"</c>, a format version, the body length (all little-endian
/// 32-bit), the body (a <see cref="ClusterSnapshot"/> with every list sorted, so equal states encode to equal
/// bytes), and a CRC32C of everything before it. Reading checks all of it and the state's invariants, and refuses
/// anything else with an <see cref="InvalidDataException"/> that says what was wrong.
/// </summary>
internal static class ControlSnapshot
{
    public const uint FormatVersion = 1;

    private const int HeaderSize = 16;
    private static readonly byte[] Magic = "CAIRNCTL"u8.ToArray();

    public static void Write(ClusterState state, Stream destination)
    {
        var body = Encode(state).ToByteArray();
        var frame = new byte[HeaderSize + body.Length + 4];
        Magic.CopyTo(frame, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(12), (uint)body.Length);
        body.CopyTo(frame, HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(HeaderSize + body.Length), Crc32C.Compute(frame.AsSpan(0, HeaderSize + body.Length)));
        destination.Write(frame);
    }

    public static ClusterState Read(Stream source, ControlLimits limits)
    {
        var header = new byte[HeaderSize];
        ReadExactly(source, header, "header");
        if (!header.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw Bad("it does not start with CAIRNCTL; it is not a control group snapshot");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        if (version != FormatVersion)
        {
            throw Bad($"format version {version} is not supported (this build reads version {FormatVersion})");
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12));
        if (length > (uint)limits.MaxSnapshotSize)
        {
            throw Bad($"its body is {length} bytes; the limit is {limits.MaxSnapshotSize}");
        }

        var rest = new byte[length + 4];
        ReadExactly(source, rest, "body");
        if (source.ReadByte() != -1)
        {
            throw Bad("there are bytes after its checksum");
        }

        var crc = Crc32C.Append(Crc32C.Compute(header), rest.AsSpan(0, (int)length));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan((int)length)))
        {
            throw Bad("its checksum does not match; it is corrupt");
        }

        ClusterSnapshot body;
        try
        {
            body = ClusterSnapshot.Parser.ParseFrom(rest, 0, (int)length);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Bad($"its body does not parse ({e.Message})");
        }

        var state = Decode(body, limits);

        // Equal states encode to equal bytes; a body that does not re-encode to itself was not written by us.
        if (!Encode(state).ToByteArray().AsSpan().SequenceEqual(rest.AsSpan(0, (int)length)))
        {
            throw Bad("its body is not in canonical form");
        }

        var violations = ClusterInvariants.Violations(state, limits);
        if (violations.Count > 0)
        {
            throw Bad("its state breaks invariants: " + string.Join("; ", violations));
        }

        return state;
    }

    private static ClusterSnapshot Encode(ClusterState state)
    {
        var body = new ClusterSnapshot
        {
            ClusterId = state.ClusterId,
            Bootstrapped = state.IsBootstrapped,
            Version = state.Version,
            Epoch = state.Epoch,
        };
        foreach (var node in state.Nodes.Values)
        {
            body.Nodes.Add(new NodeRecord
            {
                Spec = new NodeSpec
                {
                    Id = node.Id,
                    RaftAddress = node.RaftAddress,
                    ClientAddress = node.ClientAddress,
                    Roles = (uint)node.Roles,
                    FailureDomain = node.FailureDomain,
                },
                State = (uint)node.State,
                LastSeenMs = node.LastSeenMs,
            });
        }

        foreach (var group in state.Groups.Values)
        {
            var record = new GroupRecord
            {
                Id = group.Id,
                LeaderHint = group.LeaderHint,
                LeaderTerm = group.LeaderTerm,
                ConfVersion = group.ConfVersion,
            };
            record.Voters.AddRange(group.Voters);
            record.Learners.AddRange(group.Learners);
            body.Groups.Add(record);
        }

        foreach (var migration in state.Migrations.Values)
        {
            body.Migrations.Add(new MigrationRecord
            {
                Slot = (uint)migration.Slot,
                SourceGroup = migration.SourceGroup,
                TargetGroup = migration.TargetGroup,
                Phase = (uint)migration.Phase,
                Epoch = migration.Epoch,
            });
        }

        body.SlotOwners.AddRange(state.SlotOwners.ToArray());
        body.SlotEpochs.AddRange(state.SlotEpochs.ToArray());
        return body;
    }

    private static ClusterState Decode(ClusterSnapshot body, ControlLimits limits)
    {
        if (body.Bootstrapped != (body.ClusterId.Length > 0))
        {
            throw Bad("its bootstrapped flag disagrees with its cluster id");
        }

        if (body.SlotOwners.Count != HashSlot.Count || body.SlotEpochs.Count != HashSlot.Count)
        {
            throw Bad($"its slot table has {body.SlotOwners.Count} owners and {body.SlotEpochs.Count} epochs, not {HashSlot.Count}");
        }

        if (body.Nodes.Count > limits.MaxNodeRecords || body.Groups.Count > limits.MaxGroups || body.Migrations.Count > limits.MaxConcurrentMigrations)
        {
            throw Bad("it holds more nodes, groups or migrations than the limits allow");
        }

        var nodes = ImmutableSortedDictionary.CreateBuilder<ulong, NodeInfo>();
        foreach (var record in body.Nodes)
        {
            if (record.Spec is null || ControlTransitions.ValidateSpec(record.Spec, limits) is { } problem)
            {
                throw Bad($"a node record is invalid ({(record.Spec is null ? "no spec" : ControlTransitions.ValidateSpec(record.Spec, limits))})");
            }

            if (record.State > (uint)NodeState.Removed || record.LastSeenMs < 0 || !nodes.TryAdd(record.Spec.Id, ToNode(record)))
            {
                throw Bad($"node {record.Spec.Id}'s record is invalid or repeated");
            }
        }

        var groups = ImmutableSortedDictionary.CreateBuilder<ulong, ShardGroup>();
        foreach (var record in body.Groups)
        {
            var group = new ShardGroup(record.Id, [.. record.Voters], [.. record.Learners], record.LeaderHint, record.LeaderTerm, record.ConfVersion);
            if (!groups.TryAdd(record.Id, group))
            {
                throw Bad($"group {record.Id} is repeated");
            }
        }

        var migrations = ImmutableSortedDictionary.CreateBuilder<int, SlotMigration>();
        foreach (var record in body.Migrations)
        {
            if (record.Slot >= HashSlot.Count || record.Phase > (uint)MigrationPhase.Fencing)
            {
                throw Bad($"the migration of slot {record.Slot} is invalid");
            }

            var migration = new SlotMigration((int)record.Slot, record.SourceGroup, record.TargetGroup, (MigrationPhase)record.Phase, record.Epoch);
            if (!migrations.TryAdd(migration.Slot, migration))
            {
                throw Bad($"slot {record.Slot} migrates twice");
            }
        }

        return new ClusterState(
            body.ClusterId,
            body.Version,
            body.Epoch,
            nodes.ToImmutable(),
            groups.ToImmutable(),
            migrations.ToImmutable(),
            [.. body.SlotOwners],
            [.. body.SlotEpochs]);
    }

    private static NodeInfo ToNode(NodeRecord record) => new(
        record.Spec.Id,
        record.Spec.RaftAddress,
        record.Spec.ClientAddress,
        (NodeRoles)record.Spec.Roles,
        record.Spec.FailureDomain,
        (NodeState)record.State,
        record.LastSeenMs);

    private static void ReadExactly(Stream source, byte[] buffer, string part)
    {
        try
        {
            source.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw Bad($"it ends inside its {part}; it is truncated");
        }
    }

    private static InvalidDataException Bad(string why) => new($"Refusing the control group snapshot: {why}.");
}

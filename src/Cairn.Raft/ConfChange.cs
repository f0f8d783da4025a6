using System.Buffers.Binary;

namespace Cairn.Raft;

/// <summary>
/// One single-server membership change, carried by an <see cref="EntryType.ConfChange"/> entry. It takes effect on
/// each node as soon as the entry is in that node's log, committed or not (see docs/decisions/0010-raft-membership.md).
/// </summary>
/// <param name="Type">What the change does.</param>
/// <param name="NodeId">The node it is about; never 0.</param>
public readonly record struct ConfChange(ConfChangeType Type, ulong NodeId)
{
    /// <summary>The encoded size of a change: a version byte, the type and the node id.</summary>
    private const int EncodedSize = 1 + 1 + 8;

    private const byte Version = 1;

    /// <summary>The bytes an entry carries for this change.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[EncodedSize];
        bytes[0] = Version;
        bytes[1] = (byte)Type;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(2), NodeId);
        return bytes;
    }

    /// <summary>Decodes an entry's bytes; false for bytes no version of <see cref="Encode"/> produced.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out ConfChange change)
    {
        change = default;
        if (data.Length != EncodedSize || data[0] != Version || data[1] > (byte)ConfChangeType.RemoveNode)
        {
            return false;
        }

        var node = BinaryPrimitives.ReadUInt64LittleEndian(data[2..]);
        if (node == RawNode.None)
        {
            return false;
        }

        change = new ConfChange((ConfChangeType)data[1], node);
        return true;
    }
}

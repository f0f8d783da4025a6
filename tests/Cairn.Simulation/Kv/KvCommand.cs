using System.Buffers.Binary;

namespace Cairn.Simulation.Kv;

/// <summary>
/// One client operation as it travels through the Raft log. <see cref="Client"/> and <see cref="Seq"/> identify it,
/// so a retried request that ends up in the log twice is applied once.
/// </summary>
/// <param name="Client">The client's id.</param>
/// <param name="Seq">The client's operation number, rising by one per operation (never reused for a different one).</param>
/// <param name="Kind">What the operation does.</param>
/// <param name="Key">The key (a small integer keeps histories cheap to check).</param>
/// <param name="Value">The value a put or CAS writes.</param>
/// <param name="Expected">The value a CAS expects.</param>
public readonly record struct KvCommand(int Client, int Seq, KvOpKind Kind, int Key, long Value, long Expected)
{
    private const int Size = 4 + 4 + 1 + 4 + 8 + 8;

    /// <summary>The identity used for de-duplication and for matching replies to requests.</summary>
    public long OpId => ((long)Client << 32) | (uint)Seq;

    public byte[] Encode()
    {
        var bytes = new byte[Size];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, Client);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], Seq);
        span[8] = (byte)Kind;
        BinaryPrimitives.WriteInt32LittleEndian(span[9..], Key);
        BinaryPrimitives.WriteInt64LittleEndian(span[13..], Value);
        BinaryPrimitives.WriteInt64LittleEndian(span[21..], Expected);
        return bytes;
    }

    public static KvCommand Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new InvalidDataException($"A KV command is {Size} bytes, not {bytes.Length}.");
        }

        return new KvCommand(
            BinaryPrimitives.ReadInt32LittleEndian(bytes),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]),
            (KvOpKind)bytes[8],
            BinaryPrimitives.ReadInt32LittleEndian(bytes[9..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[13..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[21..]));
    }

    public override string ToString() => Kind switch
    {
        KvOpKind.Get => $"c{Client}#{Seq} get k{Key}",
        KvOpKind.Put => $"c{Client}#{Seq} put k{Key}={Value}",
        _ => $"c{Client}#{Seq} cas k{Key} {Expected}->{Value}",
    };
}

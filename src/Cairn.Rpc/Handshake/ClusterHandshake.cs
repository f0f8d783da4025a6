using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Cairn.Rpc.Framing;
using Cairn.Rpc.Protocol;
using Google.Protobuf;

namespace Cairn.Rpc.Handshake;

/// <summary>
/// The cluster-secret challenge-response that opens every connection, so that only nodes holding the secret can
/// join. Both sides send a fresh 32-byte nonce; each proves knowledge of the secret with HMAC-SHA256 over a
/// transcript of both node ids and both nonces, labelled with its role so one side's proof is never valid as the
/// other's. The dialer proves first; the acceptor answers with its own proof only after checking the dialer's, so
/// a stranger learns nothing it could replay. The secret itself never crosses the wire.
/// <code>
/// dialer -> acceptor   Hello     { version, dialer id, dialer nonce }
/// acceptor -> dialer   Challenge { acceptor id, acceptor nonce }
/// dialer -> acceptor   Proof     { HMAC(secret, transcript("dialer")) }
/// acceptor -> dialer   Welcome   { HMAC(secret, transcript("acceptor")) }   or Reject { reason }, then close
/// </code>
/// </summary>
internal static class ClusterHandshake
{
    public const uint ProtocolVersion = 1;
    private const int NonceBytes = 32;
    private const int MaxHandshakeMessageBytes = 4096;

    /// <summary>Runs the dialer's side; returns the acceptor's node id.</summary>
    /// <exception cref="RpcException">The acceptor refused us, or could not prove the secret (<see cref="RpcStatus.Unauthenticated"/>).</exception>
    public static async Task<string> DialAsync(Stream stream, RpcOptions options, string peerName, CancellationToken cancellationToken)
    {
        var dialerNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        await WriteAsync(stream, FrameType.Hello, new Hello { ProtocolVersion = ProtocolVersion, NodeId = options.NodeId, Nonce = ByteString.CopyFrom(dialerNonce) }, cancellationToken);

        var frame = await ReadAsync(stream, cancellationToken);
        if (frame.Type == FrameType.Reject)
        {
            throw Refused(peerName, frame.Parse(Reject.Parser).Reason);
        }

        Expect(frame, FrameType.Challenge);
        var challenge = frame.Parse(Challenge.Parser);
        var acceptorNonce = challenge.Nonce.ToByteArray();
        if (acceptorNonce.Length != NonceBytes || !IsValidNodeId(challenge.NodeId))
        {
            throw new FrameFormatException("handshake challenge has a malformed nonce or node id");
        }

        var transcript = Transcript(options.NodeId, challenge.NodeId, dialerNonce, acceptorNonce);
        await WriteAsync(stream, FrameType.Proof, new Proof { Mac = ByteString.CopyFrom(Mac(options.ClusterSecret.Span, "dialer", transcript)) }, cancellationToken);

        frame = await ReadAsync(stream, cancellationToken);
        if (frame.Type == FrameType.Reject)
        {
            throw Refused(peerName, frame.Parse(Reject.Parser).Reason);
        }

        Expect(frame, FrameType.Welcome);
        var expected = Mac(options.ClusterSecret.Span, "acceptor", transcript);
        if (!CryptographicOperations.FixedTimeEquals(expected, frame.Parse(Welcome.Parser).Mac.Span))
        {
            throw new RpcException(
                RpcStatus.Unauthenticated,
                $"{peerName} (node '{challenge.NodeId}') could not prove it holds the cluster secret; check that both nodes are configured with the same secret.");
        }

        return challenge.NodeId;
    }

    /// <summary>Runs the acceptor's side; returns the dialer's node id.</summary>
    /// <exception cref="HandshakeException">The dialer failed the challenge; a Reject was sent.</exception>
    public static async Task<string> AcceptAsync(Stream stream, RpcOptions options, CancellationToken cancellationToken)
    {
        var frame = await ReadAsync(stream, cancellationToken);
        Expect(frame, FrameType.Hello);
        var hello = frame.Parse(Hello.Parser);
        if (hello.ProtocolVersion != ProtocolVersion)
        {
            await RejectAsync(stream, $"protocol version {hello.ProtocolVersion} is not supported (this node speaks {ProtocolVersion})", cancellationToken);
        }

        var dialerNonce = hello.Nonce.ToByteArray();
        if (dialerNonce.Length != NonceBytes || !IsValidNodeId(hello.NodeId))
        {
            throw new FrameFormatException("handshake hello has a malformed nonce or node id");
        }

        if (hello.NodeId == options.NodeId)
        {
            // Two nodes configured with one id would corrupt every routing table that keys on it.
            await RejectAsync(stream, $"the dialing node claims this node's own id '{hello.NodeId}'; node ids must be unique", cancellationToken);
        }

        var acceptorNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        await WriteAsync(stream, FrameType.Challenge, new Challenge { NodeId = options.NodeId, Nonce = ByteString.CopyFrom(acceptorNonce) }, cancellationToken);

        frame = await ReadAsync(stream, cancellationToken);
        Expect(frame, FrameType.Proof);
        var transcript = Transcript(hello.NodeId, options.NodeId, dialerNonce, acceptorNonce);
        var expected = Mac(options.ClusterSecret.Span, "dialer", transcript);
        if (!CryptographicOperations.FixedTimeEquals(expected, frame.Parse(Proof.Parser).Mac.Span))
        {
            await RejectAsync(stream, $"node '{hello.NodeId}' did not prove the cluster secret (wrong secret)", cancellationToken);
        }

        await WriteAsync(stream, FrameType.Welcome, new Welcome { Mac = ByteString.CopyFrom(Mac(options.ClusterSecret.Span, "acceptor", transcript)) }, cancellationToken);
        return hello.NodeId;
    }

    /// <summary>Writes one frame straight to the stream; the handshake runs before the connection's send loop exists.</summary>
    internal static async Task WriteAsync(Stream stream, FrameType type, IMessage message, CancellationToken cancellationToken)
    {
        var frame = OutgoingFrame.Create(type, 0, message, ReadOnlyMemory<byte>.Empty, MaxHandshakeMessageBytes, 0);
        await stream.WriteAsync(frame.HeaderAndMessage, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads exactly one frame, so no byte after the handshake is taken from the connection's reader.</summary>
    internal static async Task<IncomingFrame> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new byte[FrameHeader.Size];
        await ReadExactlyAsync(stream, head, cancellationToken);
        var header = FrameHeader.Parse(head, MaxHandshakeMessageBytes, 0);
        var whole = new byte[header.FrameLength];
        head.CopyTo(whole, 0);
        await ReadExactlyAsync(stream, whole.AsMemory(FrameHeader.Size), cancellationToken);
        var buffer = new ReadOnlySequence<byte>(whole);
        new FrameDecoder(MaxHandshakeMessageBytes, 0).TryRead(ref buffer, out var frame);
        return frame!;
    }

    private static async Task ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken);
        }
        catch (EndOfStreamException)
        {
            throw new FrameFormatException("the other side closed the connection during the handshake (its log says why; check that TLS is on, or off, on both nodes)");
        }
    }

    private static async Task RejectAsync(Stream stream, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(stream, FrameType.Reject, new Reject { Reason = reason }, cancellationToken);
        }
        catch (IOException)
        {
            // The dialer may already be gone; the reason is still logged on this side.
        }

        throw new HandshakeException(reason);
    }

    private static void Expect(IncomingFrame frame, FrameType type)
    {
        if (frame.Type != type || frame.Id != 0)
        {
            throw new FrameFormatException($"expected a {type} frame in the handshake, got {frame.Type}");
        }
    }

    private static RpcException Refused(string peerName, string reason) =>
        new(RpcStatus.Unauthenticated, $"{peerName} refused the handshake: {reason}.");

    private static bool IsValidNodeId(string id) =>
        id.Length > 0 && Encoding.UTF8.GetByteCount(id) <= RpcOptions.MaxNodeIdBytes;

    private static byte[] Transcript(string dialerId, string acceptorId, byte[] dialerNonce, byte[] acceptorNonce)
    {
        var writer = new ArrayBufferWriter<byte>();
        writer.Write("cairn-rpc-v1"u8);
        WriteLengthPrefixed(writer, Encoding.UTF8.GetBytes(dialerId));
        WriteLengthPrefixed(writer, Encoding.UTF8.GetBytes(acceptorId));
        WriteLengthPrefixed(writer, dialerNonce);
        WriteLengthPrefixed(writer, acceptorNonce);
        return writer.WrittenSpan.ToArray();
    }

    private static void WriteLengthPrefixed(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(writer.GetSpan(2), (ushort)bytes.Length);
        writer.Advance(2);
        writer.Write(bytes);
    }

    private static byte[] Mac(ReadOnlySpan<byte> secret, string role, byte[] transcript)
    {
        var labelled = new byte[role.Length + 1 + transcript.Length];
        Encoding.ASCII.GetBytes(role, labelled);
        labelled[role.Length] = 0;
        transcript.CopyTo(labelled, role.Length + 1);
        return HMACSHA256.HashData(secret, labelled);
    }
}

namespace Cairn.Rpc.Framing;

/// <summary>What a frame is. The byte travels on the wire; do not renumber.</summary>
internal enum FrameType : byte
{
    Hello = 1,
    Challenge = 2,
    Proof = 3,
    Welcome = 4,
    Reject = 5,

    Request = 10,
    Response = 11,
    OneWay = 12,
    Cancel = 13,

    StreamOpen = 20,
    StreamData = 21,
    StreamEnd = 22,
    StreamCredit = 23,

    Close = 30,
    Ping = 31,
}

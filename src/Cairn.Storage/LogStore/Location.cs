namespace Cairn.Storage.LogStore;

/// <summary>Where a live key's latest put lies: its segment and the offset and value length of the operation.</summary>
/// <remarks>16 bytes: this value sits in the index once per key, so it stays small.</remarks>
internal readonly record struct Location(Segment Segment, uint Offset, uint ValueLength)
{
    public int OpSize(int keyLength) => RecordFormat.OpSize(keyLength, (int)ValueLength);
}

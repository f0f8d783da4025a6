namespace Cairn.Storage.Tests.FlatFs;

/// <summary>A fresh directory under the temp path, deleted when the test ends.</summary>
internal sealed class TempStore : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cairn-flatfs-" + Guid.NewGuid().ToString("N"));

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

namespace Cairn.Kv.Tests.Support;

/// <summary>A fresh path under the temp directory (not created), deleted with everything in it when the test ends.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cairn-kv-" + Guid.NewGuid().ToString("N"));

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A killed child may still be releasing files; the temp directory is cleaned eventually.
        }
    }
}

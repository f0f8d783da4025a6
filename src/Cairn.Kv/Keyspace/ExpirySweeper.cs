namespace Cairn.Kv.Keyspace;

/// <summary>
/// Deletes expired keys that nobody reads, ten times a second, in bounded rounds: like Redis's active expiry,
/// it keeps memory and disk from filling with keys that are dead but untouched.
/// </summary>
internal sealed class ExpirySweeper : IDisposable
{
    private const int KeysPerRound = 1000;
    private readonly LocalKvBackend _backend;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public ExpirySweeper(LocalKvBackend backend)
    {
        _backend = backend;
        _thread = new Thread(Run) { IsBackground = true, Name = "cairn-kv-expiry" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100)))
        {
            try
            {
                // Keep going while whole rounds come back full: a burst of expiries drains quickly.
                while (_backend.SweepExpired(KeysPerRound) == KeysPerRound && !_stop.IsCancellationRequested)
                {
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The store is closing or a disk error occurred; the next round tries again.
            }
        }
    }
}

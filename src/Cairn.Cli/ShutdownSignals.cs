using System.Runtime.InteropServices;

namespace Cairn.Cli;

/// <summary>SIGTERM and SIGINT as a request to stop: they cancel a token instead of ending the process at once.</summary>
internal static class ShutdownSignals
{
    /// <summary>Cancels <paramref name="stop"/> on SIGTERM or SIGINT until the returned registration is disposed.</summary>
    public static IDisposable CancelOn(CancellationTokenSource stop)
    {
        ArgumentNullException.ThrowIfNull(stop);
        var registrations = new List<IDisposable>();
        foreach (var signal in (PosixSignal[])[PosixSignal.SIGTERM, PosixSignal.SIGINT])
        {
            registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true; // a clean stop: the caller closes clients and syncs data
                stop.Cancel();
            }));
        }

        return new Registrations(registrations);
    }

    private sealed class Registrations(List<IDisposable> registrations) : IDisposable
    {
        public void Dispose() => registrations.ForEach(r => r.Dispose());
    }
}

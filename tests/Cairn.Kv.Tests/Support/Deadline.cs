using System.Diagnostics;

namespace Cairn.Kv.Tests.Support;

/// <summary>Polls a condition until it holds or a deadline passes: tests never sleep for a fixed time.</summary>
internal static class Deadline
{
    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}");
            }

            Thread.Sleep(5);
        }
    }
}

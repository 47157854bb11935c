namespace MyTorch.Tests;

/// <summary>Measures what steady-state work allocates, robustly under a loaded machine.</summary>
internal static class SteadyState
{
    /// <summary>
    /// The fewest bytes this thread allocated during one run of <paramref name="work"/>, over <paramref name="attempts"/> runs.
    /// </summary>
    /// <remarks>
    /// The runtime allocates on the thread now and then on its own account (a method promoted to optimized code, a type
    /// loaded late), and under load that can land in any window. An allocation that the work makes shows in every window,
    /// so the minimum is 0 only for work that does not allocate.
    /// </remarks>
    public static long AllocatedBytes(Action work, int attempts = 3)
    {
        long fewest = long.MaxValue;
        for (int i = 0; i < attempts && fewest > 0; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            work();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}

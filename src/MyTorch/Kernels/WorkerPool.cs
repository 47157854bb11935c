using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MyTorch.Kernels;

/// <summary>A piece of parallel work split into numbered tasks; <see cref="WorkerPool"/> runs each index once.</summary>
/// <remarks>Kernels keep one instance per calling thread and refill it for each call, so dispatch allocates nothing.</remarks>
internal abstract class ParallelWork
{
    /// <summary>Runs task <paramref name="index"/>; tasks of one call may run at the same time on different threads.</summary>
    public abstract void Execute(int index);
}

/// <summary>
/// The kernels' own threads: persistent workers that spin briefly between jobs and then sleep, so that a training
/// step, which runs a dozen parallel GEMMs and element-wise passes a few microseconds apart, pays neither the
/// thread pool's wake-up latency nor an allocation per parallel call (Parallel.For costs both).
/// </summary>
/// <remarks>
/// One job runs at a time. A call made while another job runs (from a second user thread, or from inside a task)
/// runs its tasks on the calling thread instead of waiting: the results are the same, as every kernel's split is
/// deterministic and independent of which thread runs a task.
/// </remarks>
internal static class WorkerPool
{
    /// <summary>How long an idle worker spins for the next job before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 0.2 ms

    private static readonly Lock JobGate = new();
    private static readonly Lock GrowGate = new();
    private static Worker[] workers = [];

    // The current job. `claim` packs the job's generation (high 32 bits) and the next unclaimed task (low 32 bits):
    // a thread takes a task by compare-and-swap on it, so a worker that wakes late, after its job has ended and
    // another began, fails its swap (the generation moved on) and never runs a task of a job it did not see start.
    private static ParallelWork? job;
    private static int jobTasks;
    private static long claim;
    private static int unfinished;
    private static int helpersWanted;
    private static Exception? failure;

    private const int Closed = int.MaxValue;

    [ThreadStatic]
    private static bool insideJob;

    /// <summary>
    /// Runs tasks 0..<paramref name="tasks"/>-1 of <paramref name="work"/> on up to <paramref name="threads"/> threads
    /// (the caller included) and returns when all have finished; rethrows the first exception a task threw.
    /// </summary>
    public static void Run(ParallelWork work, int tasks, int threads)
    {
        int helpers = Math.Min(threads, tasks) - 1;
        if (helpers <= 0 || insideJob || !JobGate.TryEnter())
        {
            RunOnThisThread(work, tasks);
            return;
        }
        try
        {
            var pool = EnsureWorkers(helpers);
            long next = (Generation(Volatile.Read(ref claim)) + 1L) << 32;
            Interlocked.Exchange(ref claim, next | Closed); // invalidate stale claims before the fields change
            job = work;
            jobTasks = tasks;
            unfinished = tasks;
            failure = null;
            helpersWanted = helpers;
            Interlocked.Exchange(ref claim, next); // publish: full fence after the fields
            for (int i = 0; i < helpers; i++) pool[i].Wake();

            insideJob = true;
            try
            {
                RunTasks(Generation(next));
            }
            finally
            {
                insideJob = false;
            }
            var spinner = default(SpinWait);
            while (Volatile.Read(ref unfinished) != 0) spinner.SpinOnce(sleep1Threshold: -1);
            job = null;
            if (failure is { } error) ExceptionDispatchInfo.Capture(error).Throw();
        }
        finally
        {
            JobGate.Exit();
        }
    }

    /// <summary>
    /// Runs every task on the calling thread, as the pool would run them: a task that throws does not stop the others,
    /// and the first exception is rethrown at the end (so that a caller sees the same effects whichever way it ran).
    /// </summary>
    private static void RunOnThisThread(ParallelWork work, int tasks)
    {
        Exception? first = null;
        for (int i = 0; i < tasks; i++)
        {
            try
            {
                work.Execute(i);
            }
            catch (Exception e)
            {
                first ??= e;
            }
        }

        if (first is not null) ExceptionDispatchInfo.Capture(first).Throw();
    }

    /// <summary>
    /// Takes the pool, as another caller's job would, until the returned handle is disposed: meanwhile every call, from
    /// any thread, runs on its calling thread. For tests of that path (allocations, exceptions), which otherwise only
    /// runs when tests happen to overlap.
    /// </summary>
    internal static IDisposable HoldBusy() => new BusyHold();

    private static int Generation(long claimWord) => (int)(claimWord >>> 32);

    /// <summary>A thread that holds <see cref="JobGate"/> (a Lock is released by the thread that took it).</summary>
    private sealed class BusyHold : IDisposable
    {
        private readonly ManualResetEventSlim held = new(), release = new();
        private readonly Thread thread;

        public BusyHold()
        {
            thread = new Thread(() =>
            {
                JobGate.Enter();
                try
                {
                    held.Set();
                    release.Wait();
                }
                finally
                {
                    JobGate.Exit();
                }
            }) { IsBackground = true, Name = "MyTorch pool holder (tests)" };
            thread.Start();
            held.Wait();
        }

        public void Dispose()
        {
            release.Set();
            thread.Join();
            held.Dispose();
            release.Dispose();
        }
    }

    /// <summary>Claims and runs tasks of job <paramref name="generation"/> until none are left or it has ended.</summary>
    private static void RunTasks(int generation)
    {
        var work = job;
        int count = jobTasks;
        while (true)
        {
            long current = Volatile.Read(ref claim);
            int index = (int)current;
            if (Generation(current) != generation || index >= count || work is null) return;
            if (Interlocked.CompareExchange(ref claim, current + 1, current) != current) continue;
            try
            {
                work.Execute(index);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
            finally
            {
                Interlocked.Decrement(ref unfinished);
            }
        }
    }

    private static Worker[] EnsureWorkers(int count)
    {
        var pool = workers;
        if (pool.Length >= count) return pool;
        lock (GrowGate)
        {
            pool = workers;
            if (pool.Length >= count) return pool;
            var grown = new Worker[count];
            Array.Copy(pool, grown, pool.Length);
            for (int i = pool.Length; i < count; i++) grown[i] = new Worker(i, Generation(Volatile.Read(ref claim)));
            Volatile.Write(ref workers, grown);
            return grown;
        }
    }

    /// <summary>One background thread that takes part in every job that wants it.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Workers live as long as the process.")]
    private sealed class Worker
    {
        private readonly int index;
        private readonly SemaphoreSlim wakeUp = new(0);
        private int seen;
        private int sleeping;

        public Worker(int index, int generationSeen)
        {
            this.index = index;
            seen = generationSeen;
            new Thread(Loop) { IsBackground = true, Name = $"MyTorch kernel worker {index + 1}" }.Start();
        }

        /// <summary>Wakes the thread if it went to sleep; a spinning thread sees the new generation by itself.</summary>
        public void Wake()
        {
            if (Interlocked.Exchange(ref sleeping, 0) == 1) wakeUp.Release();
        }

        private void Loop()
        {
            insideJob = true; // a kernel a task calls runs on this thread, never waits for the pool
            while (true)
            {
                WaitForJob();
                seen = Generation(Volatile.Read(ref claim));
                if (index < Volatile.Read(ref helpersWanted)) RunTasks(seen);
            }
        }

        private void WaitForJob()
        {
            long start = Stopwatch.GetTimestamp();
            while (Generation(Volatile.Read(ref claim)) == seen)
            {
                if (Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                // A full fence between announcing the sleep and the last look at `claim` (a plain store could still sit
                // in the store buffer when that load runs): otherwise a job published in between finds `sleeping`
                // still 0, sends no wake-up, and runs on the caller alone while this thread sleeps through it.
                Interlocked.Exchange(ref sleeping, 1);
                if (Generation(Volatile.Read(ref claim)) != seen)
                {
                    // A job arrived while going to sleep: cancel the sleep, or absorb the wake-up already sent.
                    if (Interlocked.Exchange(ref sleeping, 0) == 0) wakeUp.Wait();
                    return;
                }
                wakeUp.Wait();
                start = Stopwatch.GetTimestamp();
            }
        }
    }
}

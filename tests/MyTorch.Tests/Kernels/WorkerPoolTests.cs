using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

public class WorkerPoolTests
{
    private sealed class Counting(int tasks) : ParallelWork
    {
        public readonly int[] Runs = new int[tasks];
        public Action<int>? Inner { get; init; }

        public override void Execute(int index)
        {
            Interlocked.Increment(ref Runs[index]);
            Inner?.Invoke(index);
        }
    }

    [Fact]
    public void EveryTaskRunsExactlyOnce_CallAfterCall()
    {
        for (int call = 0; call < 2000; call++)
        {
            int tasks = 1 + (call % 7);
            var work = new Counting(tasks);
            WorkerPool.Run(work, tasks, threads: 2 + (call % 3));
            Assert.All(work.Runs, count => Assert.Equal(1, count));
        }
    }

    [Fact]
    public async Task ConcurrentCallersAndNestedCalls_RunEveryTaskOnce()
    {
        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int call = 0; call < 300; call++)
            {
                var inner = new Counting(3);
                var outer = new Counting(4) { Inner = _ => WorkerPool.Run(new Counting(2), 2, 2) };
                WorkerPool.Run(outer, 4, 2);
                WorkerPool.Run(inner, 3, 3);
                Assert.All(outer.Runs, count => Assert.Equal(1, count));
                Assert.All(inner.Runs, count => Assert.Equal(1, count));
            }
        })).ToArray();
        await Task.WhenAll(callers);
    }

    [Fact]
    public void ATaskException_ReachesTheCaller_AndThePoolStillWorks()
    {
        var failing = new Counting(4) { Inner = i => { if (i == 2) throw new InvalidOperationException("task 2 failed"); } };
        var error = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(failing, 4, 2));
        Assert.Equal("task 2 failed", error.Message);
        Assert.All(failing.Runs, count => Assert.Equal(1, count));
        var next = new Counting(4);
        WorkerPool.Run(next, 4, 2);
        Assert.All(next.Runs, count => Assert.Equal(1, count));
    }

    /// <summary>
    /// With the pool taken by another caller the tasks run on the calling thread, with the same effects: every task runs
    /// even when one throws, and the first exception reaches the caller. (Before, the loop stopped at the throwing
    /// task, which made the test above fail whenever another test's job held the pool.)
    /// </summary>
    [Fact]
    public void ATaskException_OnTheCallingThread_StillRunsEveryTask()
    {
        using (WorkerPool.HoldBusy())
        {
            var failing = new Counting(4) { Inner = i => { if (i == 1 || i == 2) throw new InvalidOperationException($"task {i} failed"); } };
            var error = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(failing, 4, 2));
            Assert.Equal("task 1 failed", error.Message);
            Assert.All(failing.Runs, count => Assert.Equal(1, count));
        }
    }
}

using System.Numerics;
using MyTorch.Kernels;

namespace MyTorch.Ops;

/// <summary>
/// The pooling kernels with the planes of a large call split over the kernel threads. Planes are independent, so the
/// bits are the same for any split. One instance per calling thread, so a split allocates nothing.
/// </summary>
internal sealed unsafe class PoolParallel<T> : ParallelWork where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Elements read and written per thread, at least.</summary>
    internal const long MinElementsPerThread = 1L << 16;

    [ThreadStatic]
    private static PoolParallel<T>? t_instance;

    private enum Kind { MaxForward, Scatter, Gather, AverageForward, AverageBackward }

    private Kind kind;
    private PoolGeometry g;
    private T* a, b;
    private long* indices;
    private int aLength, bLength, tasks;

    private static int Tasks(in PoolGeometry g)
    {
        long elements = (long)g.Planes * (g.InputPlane + g.OutputPlane);
        return (int)Math.Clamp(Math.Min(elements / MinElementsPerThread, g.Planes), 1, KernelOptions.MaxThreads);
    }

    /// <summary>y and the chosen indices of max pooling.</summary>
    public static void MaxForward(in PoolGeometry g, ReadOnlySpan<T> x, Span<T> y, Span<long> indices)
    {
        int tasks = Tasks(g);
        if (tasks <= 1)
        {
            PoolKernels.MaxForward(g, x, y, indices, 0, g.Planes);
            return;
        }
        fixed (T* px = x)
        fixed (T* py = y)
        fixed (long* pi = indices)
            Run(Kind.MaxForward, g, px, x.Length, py, y.Length, pi, tasks);
    }

    /// <summary>Max pooling's input gradient.</summary>
    public static void Scatter(in PoolGeometry g, ReadOnlySpan<T> gy, ReadOnlySpan<long> indices, Span<T> dx)
    {
        int tasks = Tasks(g);
        if (tasks <= 1)
        {
            PoolKernels.Scatter(g, gy, indices, dx, 0, g.Planes);
            return;
        }
        fixed (T* pg = gy)
        fixed (T* pd = dx)
        fixed (long* pi = indices)
            Run(Kind.Scatter, g, pg, gy.Length, pd, dx.Length, pi, tasks);
    }

    /// <summary>The adjoint of <see cref="Scatter"/>.</summary>
    public static void Gather(in PoolGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<long> indices, Span<T> y)
    {
        int tasks = Tasks(g);
        if (tasks <= 1)
        {
            PoolKernels.Gather(g, x, indices, y, 0, g.Planes);
            return;
        }
        fixed (T* px = x)
        fixed (T* py = y)
        fixed (long* pi = indices)
            Run(Kind.Gather, g, px, x.Length, py, y.Length, pi, tasks);
    }

    /// <summary>Average pooling.</summary>
    public static void AverageForward(in PoolGeometry g, ReadOnlySpan<T> x, Span<T> y)
    {
        int tasks = Tasks(g);
        if (tasks <= 1)
        {
            PoolKernels.AverageForward(g, x, y, 0, g.Planes);
            return;
        }
        fixed (T* px = x)
        fixed (T* py = y)
            Run(Kind.AverageForward, g, px, x.Length, py, y.Length, null, tasks);
    }

    /// <summary>Average pooling's input gradient.</summary>
    public static void AverageBackward(in PoolGeometry g, ReadOnlySpan<T> gy, Span<T> dx)
    {
        int tasks = Tasks(g);
        if (tasks <= 1)
        {
            PoolKernels.AverageBackward(g, gy, dx, 0, g.Planes);
            return;
        }
        fixed (T* pg = gy)
        fixed (T* pd = dx)
            Run(Kind.AverageBackward, g, pg, gy.Length, pd, dx.Length, null, tasks);
    }

    private static void Run(Kind kind, in PoolGeometry g, T* a, int aLength, T* b, int bLength, long* indices, int tasks)
    {
        var job = t_instance ??= new PoolParallel<T>();
        (job.kind, job.g, job.aLength, job.bLength, job.tasks) = (kind, g, aLength, bLength, tasks);
        job.a = a;
        job.b = b;
        job.indices = indices;
        WorkerPool.Run(job, tasks, tasks);
    }

    public override void Execute(int index)
    {
        int first = (int)((long)g.Planes * index / tasks), end = (int)((long)g.Planes * (index + 1) / tasks);
        var a = new Span<T>(this.a, aLength);
        var b = new Span<T>(this.b, bLength);
        int indexCount = g.Planes * g.OutputPlane;
        switch (kind)
        {
            case Kind.MaxForward:
                PoolKernels.MaxForward<T>(g, a, b, new Span<long>(indices, indexCount), first, end);
                break;
            case Kind.Scatter:
                PoolKernels.Scatter<T>(g, a, new ReadOnlySpan<long>(indices, indexCount), b, first, end);
                break;
            case Kind.Gather:
                PoolKernels.Gather<T>(g, a, new ReadOnlySpan<long>(indices, indexCount), b, first, end);
                break;
            case Kind.AverageForward:
                PoolKernels.AverageForward<T>(g, a, b, first, end);
                break;
            default:
                PoolKernels.AverageBackward<T>(g, a, b, first, end);
                break;
        }
    }
}

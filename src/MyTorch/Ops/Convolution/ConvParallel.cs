using System.Numerics;
using MyTorch.Kernels;

namespace MyTorch.Ops;

/// <summary>
/// The convolution kernels over a batch split across the kernel threads: the forward and the input gradient by image
/// ranges (each image's result is the same whichever thread computes it), the weight gradient by
/// <see cref="ConvKernels.Chunks"/> fixed chunks of images, each summed into its own buffer and the buffers added in
/// chunk order, so the bits depend on the batch and never on the thread count. One instance per calling thread, so a
/// split allocates nothing.
/// </summary>
internal sealed unsafe class ConvParallel<T> : ParallelWork where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic]
    private static ConvParallel<T>? t_instance;

    private enum Kind { Forward, InputGrad, WeightGrad }

    private Kind kind;
    private ConvGeometry g;
    private T* a, b, bias, output, col, partials;
    private int aLength, bLength, biasLength, outputLength, colLength, tasks;

    /// <summary>y = conv2d(x, w) + b; <paramref name="col"/> holds one column buffer per slice.</summary>
    public static void Forward(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, Span<T> col, int slices)
    {
        if (slices <= 1)
        {
            ConvKernels.Forward(g, x, w, bias, y, col);
            return;
        }
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pb = bias)
        fixed (T* py = y)
        fixed (T* pc = col)
            Run(Kind.Forward, g, px, x.Length, pw, w.Length, pb, bias.Length, py, y.Length, pc, col.Length / slices, null, slices, slices);
    }

    /// <summary>dx for the output gradient <paramref name="gy"/>; <paramref name="col"/> holds one column buffer per slice.</summary>
    public static void InputGrad(in ConvGeometry g, ReadOnlySpan<T> gy, ReadOnlySpan<T> w, Span<T> dx, Span<T> col, int slices)
    {
        if (slices <= 1)
        {
            ConvKernels.InputGrad(g, gy, w, dx, col);
            return;
        }
        fixed (T* pg = gy)
        fixed (T* pw = w)
        fixed (T* pd = dx)
        fixed (T* pc = col)
            Run(Kind.InputGrad, g, pg, gy.Length, pw, w.Length, null, 0, pd, dx.Length, pc, col.Length / slices, null, slices, slices);
    }

    /// <summary>dw; <paramref name="col"/> holds one column buffer per chunk, <paramref name="partials"/> chunks - 1 weight-sized buffers.</summary>
    public static void WeightGrad(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> dw, Span<T> col, Span<T> partials, bool parallel)
    {
        int chunks = ConvKernels.Chunks(g);
        int columns = ConvKernels.ColumnElements(g);
        if (!parallel || chunks <= 1)
        {
            ConvKernels.WeightGrad(g, x, gy, dw, col[..columns], partials);
            return;
        }
        fixed (T* px = x)
        fixed (T* pg = gy)
        fixed (T* pd = dw)
        fixed (T* pc = col)
        fixed (T* pp = partials)
            Run(Kind.WeightGrad, g, px, x.Length, pg, gy.Length, null, 0, pd, dw.Length, pc, columns, pp, chunks, Math.Min(chunks, KernelOptions.MaxThreads));
        ConvKernels.SumChunks(dw, partials, chunks);
    }

    private static void Run(Kind kind, in ConvGeometry g, T* a, int aLength, T* b, int bLength, T* bias, int biasLength, T* output, int outputLength,
        T* col, int colLength, T* partials, int tasks, int threads)
    {
        var job = t_instance ??= new ConvParallel<T>();
        (job.kind, job.g, job.tasks) = (kind, g, tasks);
        job.a = a;
        job.b = b;
        job.bias = bias;
        job.output = output;
        job.col = col;
        job.partials = partials;
        (job.aLength, job.bLength, job.biasLength, job.outputLength, job.colLength) = (aLength, bLength, biasLength, outputLength, colLength);
        WorkerPool.Run(job, tasks, threads);
    }

    public override void Execute(int index)
    {
        int first = (int)((long)g.N * index / tasks), end = (int)((long)g.N * (index + 1) / tasks);
        var a = new ReadOnlySpan<T>(this.a, aLength);
        var b = new ReadOnlySpan<T>(this.b, bLength);
        var col = new Span<T>(this.col + (long)index * colLength, colLength);
        switch (kind)
        {
            case Kind.Forward:
                ConvKernels.Forward(g, a, b, new ReadOnlySpan<T>(bias, biasLength), new Span<T>(output, outputLength), col, first, end);
                break;
            case Kind.InputGrad:
                ConvKernels.InputGrad(g, a, b, new Span<T>(output, outputLength), col, first, end);
                break;
            default:
                var dw = index == 0 ? new Span<T>(output, outputLength) : new Span<T>(partials + (long)(index - 1) * outputLength, outputLength);
                ConvKernels.WeightGrad(g, a, b, dw, col, first, end);
                break;
        }
    }
}

using System.Numerics;
using System.Numerics.Tensors;

namespace MyTorch.Kernels;

/// <summary>
/// Batch normalization of an (N, C, H, W) batch per channel over N, H and W in training mode, forward and backward:
/// <see cref="BatchNormKernels"/>'s formulas for the channel-planes layout, where a channel's values are N contiguous
/// planes rather than a column, so each step is a vector operation over a plane. A null gamma is 1 and a null beta 0
/// (a layer without affine parameters). Channels are independent: each kernel works on the channels [first, end), and
/// <see cref="BatchNorm2dParallel{T}"/> splits a large call over the kernel threads with the same bits.
/// </summary>
internal static class BatchNorm2dKernels
{
    /// <summary>
    /// mean and biased variance of each channel, invStd = 1 / sqrt(variance + eps), xHat = (x - mean) invStd and
    /// y = xHat gamma + beta.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, int n, int channels, int plane, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, T eps,
        Span<T> mean, Span<T> variance, Span<T> invStd, Span<T> xHat, Span<T> y, int first, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating((long)n * plane);
        for (int c = first; c < end; c++)
        {
            T sum = T.Zero;
            for (int i = 0; i < n; i++) sum += TensorPrimitives.Sum(x.Slice((i * channels + c) * plane, plane));
            T mu = sum / count;
            T squares = T.Zero;
            for (int i = 0; i < n; i++)
            {
                int at = (i * channels + c) * plane;
                var centered = xHat.Slice(at, plane); // x - mean here first; scaled to x-hat below
                TensorPrimitives.Subtract(x.Slice(at, plane), mu, centered);
                squares += TensorPrimitives.SumOfSquares(centered);
            }
            T v = squares / count, inv = T.One / T.Sqrt(v + eps);
            T scale = gamma.IsEmpty ? T.One : gamma[c], shift = beta.IsEmpty ? T.Zero : beta[c];
            mean[c] = mu;
            variance[c] = v;
            invStd[c] = inv;
            for (int i = 0; i < n; i++)
            {
                int at = (i * channels + c) * plane;
                var row = xHat.Slice(at, plane);
                TensorPrimitives.Multiply(row, inv, row);
                var output = y.Slice(at, plane);
                TensorPrimitives.Multiply(row, scale, output);
                TensorPrimitives.Add(output, shift, output);
            }
        }
    }

    /// <summary>
    /// From g = dL/dy: dBeta = Σ g, dGamma = Σ g xHat over each channel, and dx = gamma invStd / m (m g - dBeta - xHat dGamma).
    /// Empty spans are gradients not wanted.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> xHat, int n, int channels, int plane, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> invStd, Span<T> dx, Span<T> dGamma, Span<T> dBeta, int first, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating((long)n * plane);
        for (int c = first; c < end; c++)
        {
            T sumG = T.Zero, sumGxHat = T.Zero;
            for (int i = 0; i < n; i++)
            {
                int at = (i * channels + c) * plane;
                sumG += TensorPrimitives.Sum(g.Slice(at, plane));
                sumGxHat += TensorPrimitives.Dot(g.Slice(at, plane), xHat.Slice(at, plane));
            }
            if (!dBeta.IsEmpty) dBeta[c] = sumG;
            if (!dGamma.IsEmpty) dGamma[c] = sumGxHat;
            if (dx.IsEmpty) continue;
            T scale = (gamma.IsEmpty ? T.One : gamma[c]) * invStd[c] / count;
            for (int i = 0; i < n; i++)
            {
                int at = (i * channels + c) * plane;
                var row = dx.Slice(at, plane);
                TensorPrimitives.Multiply(g.Slice(at, plane), count, row);
                TensorPrimitives.Subtract(row, sumG, row);
                TensorPrimitives.MultiplyAdd(xHat.Slice(at, plane), -sumGxHat, row, row);
                TensorPrimitives.Multiply(row, scale, row);
            }
        }
    }

    /// <summary>
    /// PyTorch's running-statistics update: running = (1 - factor) running + factor batch, with the variance made unbiased
    /// (times m / (m - 1)) first.
    /// </summary>
    public static void UpdateRunning<T>(Span<T> runningMean, Span<T> runningVar, ReadOnlySpan<T> mean, ReadOnlySpan<T> variance, double factor, long m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T keep = T.CreateTruncating(1 - factor), take = T.CreateTruncating(factor), unbias = T.CreateTruncating((double)m / (m - 1));
        for (int c = 0; c < runningMean.Length; c++)
        {
            runningMean[c] = keep * runningMean[c] + take * mean[c];
            runningVar[c] = keep * runningVar[c] + take * (variance[c] * unbias);
        }
    }
}

/// <summary>The batch-norm kernels with the channels of a large call split over the kernel threads; one instance per calling thread.</summary>
internal sealed unsafe class BatchNorm2dParallel<T> : ParallelWork where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic]
    private static BatchNorm2dParallel<T>? t_instance;

    private bool backward;
    private int n, channels, plane, tasks;
    private T eps;
    private T* x, gamma, beta, mean, variance, invStd, xHat, y;
    private bool hasGamma, hasBeta, hasMean, hasDx;

    /// <summary>Elements per thread, at least.</summary>
    private const long MinElementsPerThread = 1L << 16;

    private static int Tasks(int n, int channels, int plane) =>
        (int)Math.Clamp(Math.Min((long)n * channels * plane / MinElementsPerThread, channels), 1, KernelOptions.MaxThreads);

    /// <summary><see cref="BatchNorm2dKernels.Forward{T}"/> over every channel.</summary>
    public static void Forward(ReadOnlySpan<T> x, int n, int channels, int plane, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, T eps,
        Span<T> mean, Span<T> variance, Span<T> invStd, Span<T> xHat, Span<T> y)
    {
        int tasks = Tasks(n, channels, plane);
        if (tasks <= 1)
        {
            BatchNorm2dKernels.Forward(x, n, channels, plane, gamma, beta, eps, mean, variance, invStd, xHat, y, 0, channels);
            return;
        }
        var job = t_instance ??= new BatchNorm2dParallel<T>();
        fixed (T* px = x)
        fixed (T* pg = gamma)
        fixed (T* pb = beta)
        fixed (T* pm = mean)
        fixed (T* pv = variance)
        fixed (T* pi = invStd)
        fixed (T* ph = xHat)
        fixed (T* py = y)
        {
            job.x = px;
            job.gamma = pg;
            job.beta = pb;
            job.mean = pm;
            job.variance = pv;
            job.invStd = pi;
            job.xHat = ph;
            job.y = py;
            (job.backward, job.n, job.channels, job.plane, job.tasks, job.eps) = (false, n, channels, plane, tasks, eps);
            (job.hasGamma, job.hasBeta) = (!gamma.IsEmpty, !beta.IsEmpty);
            WorkerPool.Run(job, tasks, tasks);
        }
    }

    /// <summary><see cref="BatchNorm2dKernels.Backward{T}"/> over every channel (x is g, y is dx, mean is dGamma and variance dBeta here).</summary>
    public static void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> xHat, int n, int channels, int plane, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> invStd, Span<T> dx, Span<T> dGamma, Span<T> dBeta)
    {
        int tasks = Tasks(n, channels, plane);
        if (tasks <= 1)
        {
            BatchNorm2dKernels.Backward(g, xHat, n, channels, plane, gamma, invStd, dx, dGamma, dBeta, 0, channels);
            return;
        }
        var job = t_instance ??= new BatchNorm2dParallel<T>();
        fixed (T* pg = g)
        fixed (T* ph = xHat)
        fixed (T* pgamma = gamma)
        fixed (T* pi = invStd)
        fixed (T* pdx = dx)
        fixed (T* pdg = dGamma)
        fixed (T* pdb = dBeta)
        {
            job.x = pg;
            job.xHat = ph;
            job.gamma = pgamma;
            job.invStd = pi;
            job.y = pdx;
            job.mean = pdg;
            job.variance = pdb;
            (job.backward, job.n, job.channels, job.plane, job.tasks) = (true, n, channels, plane, tasks);
            (job.hasGamma, job.hasBeta, job.hasMean) = (!gamma.IsEmpty, !dBeta.IsEmpty, !dGamma.IsEmpty);
            job.hasDx = !dx.IsEmpty;
            WorkerPool.Run(job, tasks, tasks);
        }
    }

    private static Span<T> Of(T* pointer, int length, bool present) => present ? new Span<T>(pointer, length) : default;

    public override void Execute(int index)
    {
        int first = (int)((long)channels * index / tasks), end = (int)((long)channels * (index + 1) / tasks);
        int total = n * channels * plane;
        if (!backward)
        {
            BatchNorm2dKernels.Forward<T>(new ReadOnlySpan<T>(x, total), n, channels, plane, Of(gamma, channels, hasGamma), Of(beta, channels, hasBeta), eps,
                new Span<T>(mean, channels), new Span<T>(variance, channels), new Span<T>(invStd, channels), new Span<T>(xHat, total), new Span<T>(y, total),
                first, end);
            return;
        }
        BatchNorm2dKernels.Backward<T>(new ReadOnlySpan<T>(x, total), new ReadOnlySpan<T>(xHat, total), n, channels, plane, Of(gamma, channels, hasGamma),
            new ReadOnlySpan<T>(invStd, channels), Of(y, total, hasDx), Of(mean, channels, hasMean), Of(variance, channels, hasBeta), first, end);
    }
}

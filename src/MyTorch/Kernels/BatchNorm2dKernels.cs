using System.Numerics;
using System.Numerics.Tensors;

namespace MyTorch.Kernels;

/// <summary>
/// Batch normalization of an (N, C, H, W) batch per channel over N, H and W in training mode, forward and backward:
/// <see cref="BatchNormKernels"/>'s formulas for the channel-planes layout, where a channel's values are N contiguous
/// planes rather than a column, so each step is a vector operation over a plane. A null gamma is 1 and a null beta 0
/// (a layer without affine parameters).
/// </summary>
internal static class BatchNorm2dKernels
{
    /// <summary>
    /// mean and biased variance of each channel, invStd = 1 / sqrt(variance + eps), xHat = (x - mean) invStd and
    /// y = xHat gamma + beta.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, int n, int channels, int plane, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, T eps,
        Span<T> mean, Span<T> variance, Span<T> invStd, Span<T> xHat, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating((long)n * plane);
        for (int c = 0; c < channels; c++)
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
        ReadOnlySpan<T> invStd, Span<T> dx, Span<T> dGamma, Span<T> dBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating((long)n * plane);
        for (int c = 0; c < channels; c++)
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

using System.Numerics;
using System.Numerics.Tensors;

namespace MyTorch.Kernels;

/// <summary>
/// Batch normalization of a (rows, features) batch in training mode, forward and backward, one pass per row at a time
/// over all features (so each step is a vector operation over a contiguous row).
/// </summary>
internal static class BatchNormKernels
{
    /// <summary>
    /// mean and biased variance of each feature over the rows, invStd = 1 / sqrt(variance + eps), xHat = (x - mean) invStd
    /// and y = xHat gamma + beta (seed 004's formulas).
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, int rows, int features, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, T eps,
        Span<T> mean, Span<T> variance, Span<T> invStd, Span<T> xHat, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(rows);
        mean.Clear();
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(mean, x.Slice(r * features, features), mean);
        TensorPrimitives.Divide(mean, count, mean);
        variance.Clear();
        for (int r = 0; r < rows; r++)
        {
            var centered = xHat.Slice(r * features, features); // (x - mean) here first; scaled to x-hat below
            TensorPrimitives.Subtract(x.Slice(r * features, features), mean, centered);
            TensorPrimitives.MultiplyAdd(centered, centered, variance, variance);
        }
        TensorPrimitives.Divide(variance, count, variance);
        TensorPrimitives.Add(variance, eps, invStd);
        TensorPrimitives.Sqrt(invStd, invStd);
        TensorPrimitives.Divide(T.One, invStd, invStd);
        for (int r = 0; r < rows; r++)
        {
            var row = xHat.Slice(r * features, features);
            TensorPrimitives.Multiply(row, invStd, row);
            TensorPrimitives.MultiplyAdd(row, gamma, beta, y.Slice(r * features, features));
        }
    }

    /// <summary>
    /// From g = dL/dy: dBeta = Σ g, dGamma = Σ g xHat over the rows, and dx = gamma invStd / m (m g - dBeta - xHat dGamma), the
    /// seed's appendix formulas (42)-(45) and (37) collected per feature. <paramref name="scratch"/> holds two feature rows.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> xHat, int rows, int features, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> invStd, Span<T> dx, Span<T> dGamma, Span<T> dBeta, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(rows);
        dBeta.Clear();
        dGamma.Clear();
        for (int r = 0; r < rows; r++)
        {
            var gr = g.Slice(r * features, features);
            TensorPrimitives.Add(dBeta, gr, dBeta);
            TensorPrimitives.MultiplyAdd(gr, xHat.Slice(r * features, features), dGamma, dGamma);
        }
        if (dx.IsEmpty) return;
        var scale = scratch[..features];
        var negativeDGamma = scratch.Slice(features, features);
        TensorPrimitives.Multiply(gamma, invStd, scale);
        TensorPrimitives.Divide(scale, count, scale);
        TensorPrimitives.Negate(dGamma, negativeDGamma);
        for (int r = 0; r < rows; r++)
        {
            var row = dx.Slice(r * features, features);
            TensorPrimitives.Multiply(g.Slice(r * features, features), count, row);
            TensorPrimitives.Subtract(row, dBeta, row);
            TensorPrimitives.MultiplyAdd(xHat.Slice(r * features, features), negativeDGamma, row, row);
            TensorPrimitives.Multiply(row, scale, row);
        }
    }
}

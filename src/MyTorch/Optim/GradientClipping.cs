using System.Globalization;

namespace MyTorch.Optim;

/// <summary>Gradient clipping, applied between <c>Backward()</c> and <see cref="Optimizer.Step"/>.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> in place so that their global L2 norm (over all
    /// of them, as one vector) is at most <paramref name="maxNorm"/>, as PyTorch's <c>clip_grad_norm_</c>:
    /// <code>
    /// norm = sqrt(sum over every gradient element of g^2)
    /// coef = maxNorm / (norm + 1e-6)
    /// g    = g * coef                 for every gradient, when coef &lt; 1 (that is, when norm exceeds maxNorm)
    /// </code>
    /// Parameters without a gradient are skipped. Returns the norm before clipping (0 when there are no
    /// gradients). A non-finite norm throws when <paramref name="errorIfNonfinite"/>; otherwise, as in
    /// PyTorch, the gradients are scaled by the resulting coefficient (0 for an infinite norm, NaN for NaN).
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0))
            throw new ArgumentException($"ClipGradNorm: invalid max norm: {maxNorm.ToString(CultureInfo.InvariantCulture)} (must be non-negative).", nameof(maxNorm));
        var gradients = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        double sumOfSquares = 0;
        foreach (var g in gradients) sumOfSquares += SumOfSquares(g);
        double norm = Math.Sqrt(sumOfSquares);
        if (!double.IsFinite(norm) && errorIfNonfinite)
            throw new ArgumentException($"ClipGradNorm: the total norm of the gradients is {norm.ToString(CultureInfo.InvariantCulture)}, " +
                "so it cannot be clipped; pass errorIfNonfinite: false to scale by it anyway.", nameof(parameters));
        double coefficient = maxNorm / (norm + 1e-6);
        // !(coef >= 1) rather than coef < 1, so that a NaN norm propagates into the gradients as in PyTorch.
        if (!(coefficient >= 1))
            foreach (var g in gradients) g.MultiplyInPlace(coefficient);
        return norm;
    }

    // Accumulated in double whatever the gradient's type, so the norm of many float32 elements stays accurate.
    private static double SumOfSquares(Tensor gradient)
    {
        double sum = 0;
        switch (gradient.DType)
        {
            case DType.Float32:
                foreach (float v in gradient.F32) sum += (double)v * v;
                break;
            case DType.Float64:
                foreach (double v in gradient.F64) sum += v * v;
                break;
            default:
                Tensor.ThrowNotFloat("ClipGradNorm", gradient);
                break;
        }
        return sum;
    }
}

using System.Numerics;
using System.Runtime.Intrinsics;

namespace MyTorch.Kernels;

/// <summary>Fused backward passes of activations: one pass over the gradient instead of a mask and a product.</summary>
internal static class ActivationKernels
{
    /// <summary>destination = x &gt; 0 ? gradient : 0 (seed 004's ReLU derivative, 0 at x &lt;= 0).</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> gradient, ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= destination.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var positive = Vector256.GreaterThan(Vector256.Create(x.Slice(i, Vector256<T>.Count)), Vector256<T>.Zero);
                var g = Vector256.Create(gradient.Slice(i, Vector256<T>.Count));
                (positive & g).CopyTo(destination.Slice(i, Vector256<T>.Count));
            }
        }
        for (; i < destination.Length; i++) destination[i] = x[i] > T.Zero ? gradient[i] : T.Zero;
    }
}

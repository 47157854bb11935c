using System.Numerics;
using System.Runtime.Intrinsics;

namespace MyTorch.Kernels;

/// <summary>Fused backward passes of activations: one pass over the gradient instead of a mask and a product.</summary>
internal static class ActivationKernels
{
    /// <summary>
    /// destination = x &gt; 0 ? gradient : 0 (seed 004's ReLU derivative, 0 at x &lt;= 0), with vectors as wide as
    /// <see cref="KernelOptions.Path"/> allows; every path gives the same bits.
    /// </summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> gradient, ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = destination.Length;
        if (x.Length < n || gradient.Length < n)
        {
            throw new ArgumentException($"ReluBackward: x has {x.Length} and gradient {gradient.Length} elements, destination {n}.");
        }

        int i = 0;
        if (KernelOptions.UseVector512 && Vector512<T>.IsSupported)
        {
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var positive = Vector512.GreaterThan(Vector512.Create(x.Slice(i, Vector512<T>.Count)), Vector512<T>.Zero);
                (positive & Vector512.Create(gradient.Slice(i, Vector512<T>.Count))).CopyTo(destination.Slice(i, Vector512<T>.Count));
            }
        }

        if (KernelOptions.UseVector256 && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var positive = Vector256.GreaterThan(Vector256.Create(x.Slice(i, Vector256<T>.Count)), Vector256<T>.Zero);
                (positive & Vector256.Create(gradient.Slice(i, Vector256<T>.Count))).CopyTo(destination.Slice(i, Vector256<T>.Count));
            }
        }

        if (KernelOptions.UseVector128 && Vector128<T>.IsSupported)
        {
            for (; i <= n - Vector128<T>.Count; i += Vector128<T>.Count)
            {
                var positive = Vector128.GreaterThan(Vector128.Create(x.Slice(i, Vector128<T>.Count)), Vector128<T>.Zero);
                (positive & Vector128.Create(gradient.Slice(i, Vector128<T>.Count))).CopyTo(destination.Slice(i, Vector128<T>.Count));
            }
        }

        for (; i < n; i++) destination[i] = x[i] > T.Zero ? gradient[i] : T.Zero;
    }
}

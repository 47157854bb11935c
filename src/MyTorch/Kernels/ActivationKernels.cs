using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

        var loop = new ReluBackwardLoop<T>(gradient, x, destination);
        VectorLoop.Run<T, ReluBackwardLoop<T>>(ref loop, (nuint)n);
    }

    /// <summary>The loop of <see cref="ReluBackward{T}"/>: the mask of x &gt; 0 selects the gradient.</summary>
    private readonly ref struct ReluBackwardLoop<T>(ReadOnlySpan<T> gradient, ReadOnlySpan<T> x, Span<T> destination) : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> gradient = gradient;
        private readonly ReadOnlySpan<T> x = x;
        private readonly Span<T> destination = destination;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public nuint Vectors<TWidth, TVector>(nuint i, nuint count)
            where TWidth : struct, IVectorWidth<TVector, T>
            where TVector : struct
        {
            ref T g = ref MemoryMarshal.GetReference(gradient);
            ref T xs = ref MemoryMarshal.GetReference(x);
            ref T d = ref MemoryMarshal.GetReference(destination);
            for (; i + (nuint)TWidth.Count <= count; i += (nuint)TWidth.Count)
            {
                var positive = TWidth.GreaterThan(TWidth.LoadUnsafe(ref xs, i), TWidth.Zero);
                TWidth.StoreUnsafe(TWidth.BitwiseAnd(positive, TWidth.LoadUnsafe(ref g, i)), ref d, i);
            }

            return i;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Scalars(nuint i, nuint count)
        {
            ref T g = ref MemoryMarshal.GetReference(gradient);
            ref T xs = ref MemoryMarshal.GetReference(x);
            ref T d = ref MemoryMarshal.GetReference(destination);
            for (; i < count; i++)
            {
                Unsafe.Add(ref d, i) = Unsafe.Add(ref xs, i) > T.Zero ? Unsafe.Add(ref g, i) : T.Zero;
            }
        }
    }
}

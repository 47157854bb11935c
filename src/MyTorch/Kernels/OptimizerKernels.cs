using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MyTorch.Kernels;

/// <summary>Optimizer updates fused into one pass over a parameter, its gradient and its state.</summary>
internal static class OptimizerKernels
{
    /// <summary>
    /// SGD with momentum in one pass: velocity = velocity * momentum + gradient * negativeLearningRate, then
    /// parameter += velocity. Each element gets the roundings of the three in-place passes it replaces (a product, a
    /// product added, a sum; no fused multiply-add), so results are the same bits on every path.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void SgdMomentum<T>(Span<T> parameter, Span<T> velocity, ReadOnlySpan<T> gradient, T momentum, T negativeLearningRate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = parameter.Length;
        if (velocity.Length != n || gradient.Length != n)
            throw new ArgumentException($"SgdMomentum: parameter {n}, velocity {velocity.Length} and gradient {gradient.Length} elements differ.");
        ref T p = ref MemoryMarshal.GetReference(parameter);
        ref T v = ref MemoryMarshal.GetReference(velocity);
        ref T g = ref MemoryMarshal.GetReference(gradient);
        nuint i = 0, count = (nuint)n;
        if (KernelOptions.UseVector512 && Vector512<T>.IsSupported)
        {
            var m = Vector512.Create(momentum);
            var lr = Vector512.Create(negativeLearningRate);
            for (; i + (nuint)Vector512<T>.Count <= count; i += (nuint)Vector512<T>.Count)
            {
                var next = (Vector512.LoadUnsafe(ref v, i) * m) + (Vector512.LoadUnsafe(ref g, i) * lr);
                next.StoreUnsafe(ref v, i);
                (Vector512.LoadUnsafe(ref p, i) + next).StoreUnsafe(ref p, i);
            }
        }
        if (KernelOptions.UseVector256 && Vector256<T>.IsSupported)
        {
            var m = Vector256.Create(momentum);
            var lr = Vector256.Create(negativeLearningRate);
            for (; i + (nuint)Vector256<T>.Count <= count; i += (nuint)Vector256<T>.Count)
            {
                var next = (Vector256.LoadUnsafe(ref v, i) * m) + (Vector256.LoadUnsafe(ref g, i) * lr);
                next.StoreUnsafe(ref v, i);
                (Vector256.LoadUnsafe(ref p, i) + next).StoreUnsafe(ref p, i);
            }
        }
        if (KernelOptions.UseVector128 && Vector128<T>.IsSupported)
        {
            var m = Vector128.Create(momentum);
            var lr = Vector128.Create(negativeLearningRate);
            for (; i + (nuint)Vector128<T>.Count <= count; i += (nuint)Vector128<T>.Count)
            {
                var next = (Vector128.LoadUnsafe(ref v, i) * m) + (Vector128.LoadUnsafe(ref g, i) * lr);
                next.StoreUnsafe(ref v, i);
                (Vector128.LoadUnsafe(ref p, i) + next).StoreUnsafe(ref p, i);
            }
        }
        for (; i < count; i++)
        {
            T next = (Unsafe.Add(ref v, i) * momentum) + (Unsafe.Add(ref g, i) * negativeLearningRate);
            Unsafe.Add(ref v, i) = next;
            Unsafe.Add(ref p, i) += next;
        }
    }
}

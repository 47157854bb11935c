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
    public static unsafe void SgdMomentum<T>(Span<T> parameter, Span<T> velocity, ReadOnlySpan<T> gradient, T momentum, T negativeLearningRate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = parameter.Length;
        if (velocity.Length != n || gradient.Length != n)
            throw new ArgumentException($"SgdMomentum: parameter {n}, velocity {velocity.Length} and gradient {gradient.Length} elements differ.");
        int threads = Math.Min(KernelOptions.MaxThreads, n / MinElementsPerThread);
        if (threads <= 1)
        {
            SgdMomentumRange(parameter, velocity, gradient, momentum, negativeLearningRate);
            return;
        }
        // Memory-bound: each core streams its own part of the three arrays. Elements are independent, so the split
        // changes no bit.
        fixed (T* p = parameter)
        fixed (T* v = velocity)
        fixed (T* g = gradient)
        {
            SgdJob<T>.Run(p, v, g, n, momentum, negativeLearningRate, threads);
        }
    }

    /// <summary>Parameters with at least this many elements per thread are updated by several threads.</summary>
    internal const int MinElementsPerThread = 1 << 15;

    /// <summary>One thread's part of a split SGD update; one instance per calling thread, so a split allocates nothing.</summary>
    private sealed unsafe class SgdJob<T> : ParallelWork
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static SgdJob<T>? t_instance;

        private T* parameter, velocity, gradient;
        private int count, tasks;
        private T momentum, negativeLearningRate;

        public static void Run(T* parameter, T* velocity, T* gradient, int count, T momentum, T negativeLearningRate, int tasks)
        {
            var job = t_instance ??= new SgdJob<T>();
            job.parameter = parameter;
            job.velocity = velocity;
            job.gradient = gradient;
            (job.count, job.tasks, job.momentum, job.negativeLearningRate) = (count, tasks, momentum, negativeLearningRate);
            WorkerPool.Run(job, tasks, tasks);
        }

        public override void Execute(int index)
        {
            // Parts start on 64-element boundaries, so no cache line is written by two threads.
            int start = (int)((long)count * index / tasks) & ~63, end = index == tasks - 1 ? count : (int)((long)count * (index + 1) / tasks) & ~63;
            int length = end - start;
            SgdMomentumRange(new Span<T>(parameter + start, length), new Span<T>(velocity + start, length),
                new ReadOnlySpan<T>(gradient + start, length), momentum, negativeLearningRate);
        }
    }

    /// <summary>The update of <see cref="SgdMomentum{T}"/> over spans of equal length, on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SgdMomentumRange<T>(Span<T> parameter, Span<T> velocity, ReadOnlySpan<T> gradient, T momentum, T negativeLearningRate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = parameter.Length;
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

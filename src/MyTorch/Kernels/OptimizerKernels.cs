using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MyTorch.Kernels;

/// <summary>Optimizer updates fused into one pass over a parameter, its gradient and its state.</summary>
internal static class OptimizerKernels
{
    /// <summary>
    /// SGD with momentum in one pass: velocity = velocity * momentum + gradient * negativeLearningRate, then
    /// parameter += velocity. Each element gets the roundings of the three in-place passes it fuses (a product, a
    /// product added, a sum; no fused multiply-add), so results are the same bits on every path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        var loop = new SgdMomentumLoop<T>(parameter, velocity, gradient, momentum, negativeLearningRate);
        VectorLoop.Run<T, SgdMomentumLoop<T>>(ref loop, (nuint)parameter.Length);
    }

    /// <summary>The loop of <see cref="SgdMomentumRange{T}"/>: a product, a product added, a sum, per element.</summary>
    private readonly ref struct SgdMomentumLoop<T>(Span<T> parameter, Span<T> velocity, ReadOnlySpan<T> gradient, T momentum, T negativeLearningRate)
        : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Span<T> parameter = parameter;
        private readonly Span<T> velocity = velocity;
        private readonly ReadOnlySpan<T> gradient = gradient;
        private readonly T momentum = momentum;
        private readonly T negativeLearningRate = negativeLearningRate;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public nuint Vectors<TWidth, TVector>(nuint i, nuint count)
            where TWidth : struct, IVectorWidth<TVector, T>
            where TVector : struct
        {
            ref T p = ref MemoryMarshal.GetReference(parameter);
            ref T v = ref MemoryMarshal.GetReference(velocity);
            ref T g = ref MemoryMarshal.GetReference(gradient);
            var m = TWidth.Create(momentum);
            var lr = TWidth.Create(negativeLearningRate);
            for (; i + (nuint)TWidth.Count <= count; i += (nuint)TWidth.Count)
            {
                var next = TWidth.Add(TWidth.Multiply(TWidth.LoadUnsafe(ref v, i), m), TWidth.Multiply(TWidth.LoadUnsafe(ref g, i), lr));
                TWidth.StoreUnsafe(next, ref v, i);
                TWidth.StoreUnsafe(TWidth.Add(TWidth.LoadUnsafe(ref p, i), next), ref p, i);
            }

            return i;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Scalars(nuint i, nuint count)
        {
            ref T p = ref MemoryMarshal.GetReference(parameter);
            ref T v = ref MemoryMarshal.GetReference(velocity);
            ref T g = ref MemoryMarshal.GetReference(gradient);
            for (; i < count; i++)
            {
                T next = (Unsafe.Add(ref v, i) * momentum) + (Unsafe.Add(ref g, i) * negativeLearningRate);
                Unsafe.Add(ref v, i) = next;
                Unsafe.Add(ref p, i) += next;
            }
        }
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using MyTorch.Kernels;

namespace MyTorch.Compiled;

/// <summary>
/// Copies of weight matrices packed once into the layout the GEMM multiplies from, for a plan that runs a model on
/// frozen weights. While a plan runs, its copies are <see cref="Current"/> on the thread, and a launch that multiplies by
/// a weight (the fused Linear op) takes the copy instead of the live tensor: the same bits, without packing the
/// weights again at every run. A copy is made the first time a weight is multiplied, and again when the weight's storage
/// is replaced or the kernel path changes.
/// </summary>
internal sealed class FrozenWeights
{
    [ThreadStatic]
    private static FrozenWeights? current;

    private readonly Dictionary<Tensor, (object Packed, Array From)> copies = new(ReferenceEqualityComparer.Instance);

    /// <summary>The copies of the plan running on this thread, or null.</summary>
    public static FrozenWeights? Current => current;

    /// <summary>Makes these copies current on this thread until the scope is disposed.</summary>
    public Scope Use()
    {
        var previous = current;
        current = this;
        return new Scope(previous);
    }

    /// <summary>The packed copy of <paramref name="weight"/> (k x n, row-major), made now if it has none or an outdated one.</summary>
    public Gemm.PackedB<T> For<T>(Tensor weight, ReadOnlySpan<T> values, int k, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (copies.TryGetValue(weight, out var copy) && ReferenceEquals(copy.From, weight.storage) && copy.Packed is Gemm.PackedB<T> packed
            && packed.FitsCurrentPath)
            return packed;
        packed = Gemm.PackedB<T>.Pack(values, k, n, n);
        copies[weight] = (packed, weight.storage);
        return packed;
    }

    /// <summary>Puts back the copies that were current before.</summary>
    public readonly struct Scope(FrozenWeights? previous) : IDisposable
    {
        /// <summary>Restores the previous copies.</summary>
        public void Dispose() => current = previous;
    }
}

using MyTorch.Diagnostics;

namespace MyTorch.Ops
{
    /// <summary>
    /// The registry entry of a reduction or softmax-family op: its gradient-check cases are built with the helpers here
    /// (seeded float64 inputs, distinct values where ties would be a kink).
    /// </summary>
    internal abstract class ReductionOp : OpDefinition
    {
        /// <summary>A gradient-check case of this op.</summary>
        protected GradCheckCase Case(string variant, Func<Tensor[]> inputs, Func<Tensor[], Tensor> function) =>
            new("op", Name, variant, inputs, function);

        /// <summary>Uniform float64 values in [low, high) that require grad.</summary>
        protected static Tensor Uniform(ulong seed, double low, double high, params int[] shape) =>
            Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad: true);

        /// <summary>Uniform float64 values in [-1, 1) that require grad.</summary>
        protected static Tensor Uniform(ulong seed, params int[] shape) => Uniform(seed, -1, 1, shape);

        /// <summary>Distinct values at least 0.08 apart (a shuffled ramp plus jitter): no ties for max, min, sort and median.</summary>
        protected static Tensor Distinct(ulong seed, params int[] shape)
        {
            var generator = new Generator(seed);
            int n = Shapes.Count(shape);
            var permutation = generator.Permutation(n);
            var values = new double[n];
            for (int i = 0; i < n; i++) values[i] = 0.1 * (permutation[i] - n / 2) + 0.02 * generator.NextDouble();
            return Tensor.FromArray(values, shape, requiresGrad: true);
        }
    }

    /// <summary>
    /// A contiguous tensor seen as (outer, size, inner) around the reduced dimension <see cref="Dim"/>: the reduced
    /// dimension has <see cref="Size"/> elements spaced <see cref="Inner"/> apart, and the result has
    /// <see cref="ResultShape"/> (the dimension kept as 1 or dropped).
    /// </summary>
    internal readonly record struct ReductionLayout(int Dim, int Outer, int Size, int Inner, int[] ResultShape);
}

namespace MyTorch
{
    // keepDim follows NumPy's keepdims: reducing a (3, 4, 5) tensor over dimension 0 gives (1, 4, 5) with keepDim
    // and (4, 5) without.
    public sealed partial class Tensor
    {
        internal int[] ReducedShape(int d, bool keepDim)
        {
            if (keepDim)
            {
                var kept = (int[])shape.Clone();
                kept[d] = 1;
                return kept;
            }
            var dropped = new int[Rank - 1];
            for (int i = 0, j = 0; i < Rank; i++) if (i != d) dropped[j++] = shape[i];
            return dropped;
        }

        /// <summary>The layout of a reduction over <paramref name="dim"/> (wrapped; the tensor has rank at least 1).</summary>
        internal Ops.ReductionLayout ReductionLayoutOf(int dim, bool keepDim, string op)
        {
            int d = Shapes.WrapDim(dim, Rank, op);
            var (outer, inner) = OuterInner(d);
            return new Ops.ReductionLayout(d, outer, shape[d], inner, ReducedShape(d, keepDim));
        }

        // The maximum over d as a size-1 dimension, the shift of logsumexp and the softmaxes; zeros when d is empty,
        // where there is nothing to shift.
        internal Tensor KeptMax(int d) => shape[d] == 0 ? Zeros(ReducedShape(d, keepDim: true), DType) : Max(d, keepDim: true);
    }
}

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

        /// <summary>The number of elements before dimension <paramref name="d"/> of <paramref name="shape"/> and after it.</summary>
        internal static (int Outer, int Inner) OuterInner(ReadOnlySpan<int> shape, int d)
        {
            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++) outer *= shape[i];
            for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
            return (outer, inner);
        }

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

        /// <summary>
        /// The dimensions of a reduction over several at once, wrapped and in increasing order; all of them for an empty list,
        /// as PyTorch's <c>dim=[]</c>. A 0-d tensor has one dimension (0 or -1) here, as in PyTorch.
        /// </summary>
        internal int[] ReducedDims(int[] dims, string op)
        {
            ArgumentNullException.ThrowIfNull(dims);
            int rank = Math.Max(Rank, 1);
            if (dims.Length == 0) return [.. Enumerable.Range(0, rank)];
            var wrapped = new int[dims.Length];
            for (int i = 0; i < dims.Length; i++)
            {
                wrapped[i] = Shapes.WrapDim(dims[i], rank, op);
                for (int j = 0; j < i; j++)
                    if (wrapped[j] == wrapped[i])
                        throw new TensorShapeException($"{op}: dimension {dims[i]} appears more than once in the dimensions [{string.Join(", ", dims)}] of shape {Shapes.Format(shape)}.");
            }
            Array.Sort(wrapped);
            return wrapped;
        }

        /// <summary>This tensor's shape without the <paramref name="dims"/> (increasing, wrapped) or with them kept as 1.</summary>
        internal int[] ShapeWithout(int[] dims, bool keepDim)
        {
            var result = new List<int>(Rank);
            for (int i = 0; i < Rank; i++)
            {
                if (Array.IndexOf(dims, i) < 0) result.Add(shape[i]);
                else if (keepDim) result.Add(1);
            }
            return [.. result];
        }

        /// <summary>The number of elements a reduction over <paramref name="dims"/> (increasing, wrapped) combines.</summary>
        internal int ReducedCount(int[] dims)
        {
            int count = 1;
            if (Rank > 0) foreach (int d in dims) count *= shape[d];
            return count;
        }

        // The maximum over d as a size-1 dimension, the shift of logsumexp and the softmaxes; zeros when d is empty,
        // where there is nothing to shift.
        internal Tensor KeptMax(int d) => shape[d] == 0 ? Zeros(ReducedShape(d, keepDim: true), DType) : Max(d, keepDim: true);
    }
}

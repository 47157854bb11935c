using System.Numerics;
using MyTorch.Compiled;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// any / all: whether some (every) element is non-zero, over the whole tensor or one dimension, as 1 or 0 in the
    /// input's dtype (PyTorch: bool). NaN counts as non-zero; over no elements any is 0 and all is 1. Not differentiable.
    /// </summary>
    internal abstract class TruthReductionOp<TSelf> : OpDefinition where TSelf : TruthReductionOp<TSelf>, ITruthReduction
    {
        public override string Name => TSelf.Name;

        public override OpNotation Notation => notation ??= new($"{Name}({{0}})", ["0 (not differentiable)"], ["none"], false);

        private OpNotation? notation;

        /// <summary>Over every element: a 0-d tensor.</summary>
        public static Tensor Apply(Tensor x)
        {
            ArgumentNullException.ThrowIfNull(x);
            return Reduce(x, 1, x.Count, 1, []);
        }

        /// <summary>Over dimension <paramref name="dim"/> (negative counts from the end; a 0-d tensor has dimension 0).</summary>
        public static Tensor Apply(Tensor x, int dim, bool keepDim)
        {
            ArgumentNullException.ThrowIfNull(x);
            var shape = x.ShapeArray;
            int d = Shapes.WrapDim(dim, shape.Length, TSelf.Name);
            if (shape.Length == 0) return Reduce(x, 1, 1, 1, []);
            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++) outer *= shape[i];
            for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
            int[] reduced = keepDim
                ? [.. shape[..d], 1, .. shape[(d + 1)..]]
                : [.. shape[..d], .. shape[(d + 1)..]];
            return Reduce(x, outer, shape[d], inner, reduced);
        }

        private static Tensor Reduce(Tensor x, int outer, int size, int inner, int[] outShape)
        {
            var y = Tensor.Empty(outShape, x.DType, TSelf.Name);
            Recording.Launch((x, y, outer, size, inner), Launch);
            return y;
        }

        private static readonly Action<(Tensor X, Tensor Y, int Outer, int Size, int Inner)> Launch = static s =>
        {
            switch (s.X.DType)
            {
                case DType.Float32: Run<float>(s.X.F32, s.Y.F32, s.Outer, s.Size, s.Inner); break;
                case DType.Float64: Run<double>(s.X.F64, s.Y.F64, s.Outer, s.Size, s.Inner); break;
                default: Run<long>(s.X.I64, s.Y.I64, s.Outer, s.Size, s.Inner); break;
            }
        };

        private static void Run<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int size, int inner) where T : INumberBase<T>
        {
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    // any stops at the first non-zero element, all at the first zero.
                    bool result = !TSelf.Any;
                    for (int k = 0; k < size; k++)
                        if (T.IsZero(x[(o * size + k) * inner + i]) != TSelf.Any) { result = TSelf.Any; break; }
                    y[o * inner + i] = result ? T.One : T.Zero;
                }
        }
    }

    /// <summary>Which of any and all a <see cref="TruthReductionOp{TSelf}"/> is.</summary>
    internal interface ITruthReduction
    {
        static abstract string Name { get; }

        /// <summary>True for any (some element non-zero), false for all (every element non-zero).</summary>
        static abstract bool Any { get; }
    }

    internal sealed class AnyOp : TruthReductionOp<AnyOp>, ITruthReduction
    {
        public static new string Name => "any";

        public static bool Any => true;
    }

    internal sealed class AllOp : TruthReductionOp<AllOp>, ITruthReduction
    {
        public static new string Name => "all";

        public static bool Any => false;
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>1 (0-d, this tensor's dtype) if any element is non-zero (NaN counts), else 0; 0 for an empty tensor.</summary>
        public Tensor Any() => Ops.AnyOp.Apply(this);

        /// <summary>Whether any element along <paramref name="dim"/> is non-zero, as 1 or 0 in this tensor's dtype.</summary>
        public Tensor Any(int dim, bool keepDim = false) => Ops.AnyOp.Apply(this, dim, keepDim);

        /// <summary>1 (0-d, this tensor's dtype) if every element is non-zero (NaN counts), else 0; 1 for an empty tensor.</summary>
        public Tensor All() => Ops.AllOp.Apply(this);

        /// <summary>Whether every element along <paramref name="dim"/> is non-zero, as 1 or 0 in this tensor's dtype.</summary>
        public Tensor All(int dim, bool keepDim = false) => Ops.AllOp.Apply(this, dim, keepDim);
    }
}

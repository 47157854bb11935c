using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>The variance, sum((x - mean)^2) / (n - 1) (unbiased) or / n, built from mean, sub, mul, sum and div.</summary>
    internal sealed class VarOp : ReductionOp
    {
        public const string OpName = "var";

        public override string Name => OpName;

        public override OpNotation Notation { get; } =
            new("var({0})", ["2 ({0} - mean) / (n - 1)"], ["{g} * 2 ({0} - mean) / (n - 1)"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) over 1", () => [Uniform(55, 3, 4)], x => x[0].Var(1)),
            Case("(2, 3, 4) over [0, 2], biased", () => [Uniform(243, 2, 3, 4)], x => x[0].Var([0, 2], unbiased: false)),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// The variance over dimension <paramref name="dim"/>: sum((x - mean)^2) / (n - 1) when
        /// <paramref name="unbiased"/> (PyTorch's default), or / n (the biased batch variance BatchNorm uses).
        /// </summary>
        public Tensor Var(int dim, bool keepDim = false, bool unbiased = true)
        {
            RequireFloat(Ops.VarOp.OpName);
            int d = Shapes.WrapDim(dim, Rank, Ops.VarOp.OpName);
            if (Rank == 0) return Reshape(1).Var(0, keepDim: false, unbiased).Reshape();
            var centered = this - Mean(d, keepDim: true);
            return (centered * centered).Sum(d, keepDim) / Math.Max(shape[d] - (unbiased ? 1 : 0), 0);
        }

        /// <summary>The variance over several dimensions at once (an empty list: every element), as <see cref="Var(int, bool, bool)"/>.</summary>
        public Tensor Var(int[] dims, bool keepDim = false, bool unbiased = true)
        {
            RequireFloat(Ops.VarOp.OpName);
            var reduced = ReducedDims(dims, Ops.VarOp.OpName);
            if (Rank == 0) return Reshape(1).Var(0, keepDim: false, unbiased).Reshape();
            var centered = this - Mean(reduced, keepDim: true);
            return (centered * centered).Sum(reduced, keepDim) / Math.Max(ReducedCount(reduced) - (unbiased ? 1 : 0), 0);
        }

        /// <summary>The variance of all elements.</summary>
        public Tensor Var(bool unbiased = true) => Flatten().Var(0, keepDim: false, unbiased);
    }
}

using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>The mean over one dimension or all elements: the sum divided by the count (NaN for an empty tensor, as in PyTorch).</summary>
    internal sealed class MeanOp : ReductionOp
    {
        public const string OpName = "mean";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("mean({0})", ["1 / n"], ["{g} / n copied to every element"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("all of (3, 4)", () => [Uniform(53, 3, 4)], x => x[0].Mean()),
            Case("(3, 4) over 0", () => [Uniform(54, 3, 4)], x => x[0].Mean(0)),
            Case("(2, 3, 4) over [0, -1], keepDim", () => [Uniform(242, 2, 3, 4)], x => x[0].Mean([0, -1], keepDim: true)),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The mean of all elements; NaN for an empty tensor, as in PyTorch.</summary>
        public Tensor Mean() => Flatten().Mean(0);

        /// <summary>The mean over dimension <paramref name="dim"/>.</summary>
        public Tensor Mean(int dim, bool keepDim = false)
        {
            RequireFloat(Ops.MeanOp.OpName);
            int size = Rank == 0 ? 1 : shape[Shapes.WrapDim(dim, Rank, Ops.MeanOp.OpName)];
            return Sum(dim, keepDim) / size;
        }

        /// <summary>The mean over several dimensions at once (an empty list: every element), as <see cref="Sum(int[], bool)"/>.</summary>
        public Tensor Mean(int[] dims, bool keepDim = false)
        {
            RequireFloat(Ops.MeanOp.OpName);
            return Sum(dims, keepDim) / ReducedCount(ReducedDims(dims, Ops.MeanOp.OpName));
        }
    }
}

using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>maximum(a, b): the larger of the two with broadcasting; NaN wins. The gradient goes to the larger input, split equally on ties, as in PyTorch.</summary>
    internal sealed class MaximumOp : BinaryOp<MaximumOp, MaximumKernel>, IBinaryOp<MaximumOp>
    {
        public static new string Name => "maximum";

        public override OpNotation Notation { get; } = new("max({0}, {1})", ["[{0} > {1}]", "[{1} > {0}]"], ["{g} * [{0} > {1}]", "{g} * [{1} > {0}]"], true);

        // PyTorch's selection: the loser gets an exact 0 (never g * 0, which is NaN for an infinite g), a tie g / 2 each,
        // and otherwise (a NaN on either side too) the whole of g.
        public static Tensor GradientA(Tensor g, Tensor a, Tensor b) => Tensor.Where(a.Lt(b), Tensor.ZerosLike(g), Shared(g, a, b));

        public static Tensor GradientB(Tensor g, Tensor a, Tensor b) => Tensor.Where(a.Gt(b), Tensor.ZerosLike(g), Shared(g, a, b));

        private static Tensor Shared(Tensor g, Tensor a, Tensor b) => Tensor.Where(a.Eq(b), g / 2, g);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) and (4,)", () => [Distinct(13, 3, 4), Distinct(14, 4)], x => Apply(x[0], x[1] + 0.05)),
            .. base.GradCheckCases,
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Element-wise maximum of two tensors with broadcasting. The gradient goes to the larger input, and is
        /// split equally on ties, as in PyTorch.
        /// </summary>
        public static Tensor Maximum(Tensor a, Tensor b) => Ops.MaximumOp.Apply(a, b);
    }
}

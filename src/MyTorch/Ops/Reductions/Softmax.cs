using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>exp(x) / sum(exp(x)) with the maximum subtracted first; dL/dx = y (g - sum(g y)).</summary>
    internal sealed class SoftmaxOp : ReductionOp
    {
        public const string OpName = "softmax";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("softmax({0})", ["diag({y}) - {y} {y}^T"], ["{y} * ({g} - sum({g} * {y}))"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) over 1", () => [Uniform(59, 3, 4)], x => x[0].Softmax(1)),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>exp(x) / sum(exp(x)) over <paramref name="dim"/>, stable for large inputs (the maximum is subtracted first).</summary>
        public Tensor Softmax(int dim = -1)
        {
            RequireFloat(Ops.SoftmaxOp.OpName);
            int d = Shapes.WrapDim(dim, Rank, Ops.SoftmaxOp.OpName);
            if (Rank == 0) return Reshape(1).Softmax(0).Reshape();
            Tensor y;
            using (Autograd.NoGrad())
            {
                var shifted = (this - KeptMax(d)).Exp();
                y = (shifted / shifted.Sum(d, keepDim: true)).Detach();
            }
            // dL/dx_i = y_i (g_i - sum_j g_j y_j)
            return Autograd.Record(y, Ops.SoftmaxOp.OpName, [this], g => [y * (g - (g * y).Sum(d, keepDim: true))]);
        }
    }
}

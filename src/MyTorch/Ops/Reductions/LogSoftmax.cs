using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>log(softmax(x)) as (x - m) - log(sum(exp(x - m))); dL/dx = g - softmax(x) sum(g).</summary>
    internal sealed class LogSoftmaxOp : ReductionOp
    {
        public const string OpName = "log_softmax";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("log_softmax({0})", ["I - softmax({0})"], ["{g} - softmax({0}) sum({g})"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) over 1", () => [Uniform(60, 3, 4)], x => x[0].LogSoftmax(1)),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>log(softmax(x)) over <paramref name="dim"/>, computed as x - logsumexp(x) so it never takes log(0).</summary>
        public Tensor LogSoftmax(int dim = -1)
        {
            RequireFloat(Ops.LogSoftmaxOp.OpName);
            int d = Shapes.WrapDim(dim, Rank, Ops.LogSoftmaxOp.OpName);
            if (Rank == 0) return Reshape(1).LogSoftmax(0).Reshape();
            Tensor y;
            using (Autograd.NoGrad())
            {
                // (x - m) - log(sum(exp(x - m))) with m the maximum, as PyTorch computes it: x - logsumexp(x) would round
                // at the scale of x, losing all float32 digits of a result near 0 when x is near ±1000. An infinite m is
                // not replaced, so a row with +inf (or only -inf) is all NaN, as in PyTorch.
                var shifted = this - KeptMax(d);
                y = (shifted - shifted.Exp().Sum(d, keepDim: true).Log()).Detach();
            }
            // dL/dx_i = g_i - softmax_i * sum_j g_j
            return Autograd.Record(y, Ops.LogSoftmaxOp.OpName, [this], g => [g - y.Exp() * g.Sum(d, keepDim: true)]);
        }
    }
}

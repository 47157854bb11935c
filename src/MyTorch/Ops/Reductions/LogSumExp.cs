using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>log(sum(exp(x))), computed with the maximum shifted out; its gradient is softmax(x) times the output gradient.</summary>
    internal sealed class LogSumExpOp : ReductionOp
    {
        public const string OpName = "logsumexp";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("logsumexp({0})", ["softmax({0})"], ["{g} * softmax({0})"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) over 1", () => [Uniform(58, 3, 4)], x => x[0].LogSumExp(1)),
            Case("all of (3, 4)", () => [Uniform(270, 3, 4)], x => x[0].LogSumExp()),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>log(sum(exp(x))) over all elements, as a 0-d tensor; -inf for an empty tensor, as in PyTorch.</summary>
        public Tensor LogSumExp() => Flatten().LogSumExp(0);

        /// <summary>
        /// log(sum(exp(x))) over <paramref name="dim"/>, computed as m + log(sum(exp(x - m))) with m the maximum
        /// (the LogSumExp trick of seed 004), so inputs like ±1000 give finite, exact results.
        /// Gradient: softmax(x) times the output gradient.
        /// </summary>
        public Tensor LogSumExp(int dim, bool keepDim = false)
        {
            RequireFloat(Ops.LogSumExpOp.OpName);
            int d = Shapes.WrapDim(dim, Rank, Ops.LogSumExpOp.OpName);
            if (Rank == 0) return Reshape(1).LogSumExp(0).Reshape();
            Tensor result, softmax;
            using (Autograd.NoGrad())
            {
                var max = KeptMax(d);
                // A row of -inf (or +inf) maxima would give inf - inf = NaN; shift such rows by 0 instead.
                var shift = Where(max.Abs().Lt(double.PositiveInfinity), max, ZerosLike(max));
                var exp = (this - shift).Exp();
                var sum = exp.Sum(d, keepDim: true);
                var kept = sum.Log() + shift;
                softmax = exp / sum;
                result = keepDim ? kept : kept.Squeeze(d);
            }
            result = result.Detach();
            var x = this;
            // With createGraph the softmax is recomputed as an op of x, so the gradient can be differentiated again.
            return Autograd.Record(result, Ops.LogSumExpOp.OpName, [this],
                g => [(keepDim ? g : g.Unsqueeze(d)) * (Autograd.IsGradEnabled ? x.Softmax(d) : softmax)]);
        }
    }
}

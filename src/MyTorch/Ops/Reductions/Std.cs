using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// The standard deviation, sqrt(var). Its gradient g / (2 std) is 0 where the standard deviation is 0 (constant input),
    /// as PyTorch's, instead of the 0 * inf = NaN of a plain square root.
    /// </summary>
    internal sealed class StdOp : ReductionOp
    {
        public const string OpName = "std";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("sqrt({0})", ["1 / (2 {y}), 0 where {y} = 0"], ["{g} / (2 {y})"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) over 1", () => [Uniform(250, 3, 4)], x => x[0].Std(1)),
            Case("all of (3, 4), biased", () => [Uniform(251, 3, 4)], x => x[0].Std(unbiased: false)),
            Case("(2, 3, 4) over [0, 2], keepDim", () => [Uniform(252, 2, 3, 4)], x => x[0].Std([0, 2], keepDim: true)),
        ];

        /// <summary>sqrt(v) recorded as <paramref name="name"/>, with gradient g / (2 sqrt(v)) and 0 where sqrt(v) is 0.</summary>
        public static Tensor SquareRootOf(Tensor v, string name)
        {
            Tensor y;
            using (Autograd.NoGrad()) y = v.Sqrt().Detach();
            return Autograd.Record(y, name, [v], g => [Tensor.Where(y.Eq(0), Tensor.ZerosLike(y), g / (y * 2))]);
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// The standard deviation over <paramref name="dim"/> (<c>torch.std</c>): sqrt of <see cref="Var(int, bool, bool)"/>,
        /// with n - 1 when <paramref name="unbiased"/>. A constant input has gradient 0, as in PyTorch.
        /// </summary>
        public Tensor Std(int dim, bool keepDim = false, bool unbiased = true) =>
            Ops.StdOp.SquareRootOf(Var(dim, keepDim, unbiased), Ops.StdOp.OpName);

        /// <summary>The standard deviation over several dimensions at once (an empty list: every element).</summary>
        public Tensor Std(int[] dims, bool keepDim = false, bool unbiased = true) =>
            Ops.StdOp.SquareRootOf(Var(dims, keepDim, unbiased), Ops.StdOp.OpName);

        /// <summary>The standard deviation of all elements.</summary>
        public Tensor Std(bool unbiased = true) => Ops.StdOp.SquareRootOf(Var(unbiased), Ops.StdOp.OpName);
    }
}

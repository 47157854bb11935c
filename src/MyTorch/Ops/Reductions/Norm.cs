using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// The vector p-norm for p = 1 (sum |x|), 2 (sqrt(sum x^2), the Frobenius norm over all elements) and infinity (max |x|).
    /// Gradients as PyTorch's: sign(x) for p = 1, x / norm for p = 2 and 0 for a zero vector, and for infinity sign(x) shared
    /// equally by the elements whose |x| is the maximum.
    /// </summary>
    internal sealed class NormOp : ReductionOp
    {
        public const string OpName = "norm";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("||{0}||", ["{0} / {y} (p = 2)"], ["{g} * {0} / {y}"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("2-norm of (3, 4)", () => [Uniform(260, 3, 4)], x => x[0].Norm()),
            Case("2-norm of (3, 4) over 1", () => [Uniform(261, 3, 4)], x => x[0].Norm(2, 1)),
            Case("1-norm of (3, 4) over 0, keepDim", () => [Distinct(262, 3, 4)], x => x[0].Norm(1, 0, keepDim: true)),
            Case("inf-norm of (2, 3, 4) over [0, 2]", () => [Distinct(263, 2, 3, 4)], x => x[0].Norm(double.PositiveInfinity, [0, 2])),
        ];

        public static Tensor Apply(Tensor x, double p, int[] dims, bool keepDim)
        {
            x.RequireFloat(OpName);
            var reduced = x.ReducedDims(dims, OpName);
            if (x.Rank == 0) return Apply(x.Reshape(1), p, [0], keepDim: false).Reshape();
            if (p == 1) return x.Abs().Sum(reduced, keepDim);
            if (p == 2) return StdOp.SquareRootOf((x * x).Sum(reduced, keepDim), OpName);
            if (double.IsPositiveInfinity(p)) return Largest(x, reduced, keepDim);
            throw new ArgumentOutOfRangeException(nameof(p), p, $"{OpName}: p must be 1, 2 or infinity.");
        }

        private static Tensor Largest(Tensor x, int[] dims, bool keepDim)
        {
            Tensor magnitude, kept;
            using (Autograd.NoGrad())
            {
                magnitude = x.Abs();
                kept = magnitude;
                for (int i = dims.Length - 1; i >= 0; i--) kept = kept.KeptMax(dims[i]);
                kept = kept.Detach();
            }
            var y = keepDim ? kept : kept.Reshape(x.ShapeWithout(dims, keepDim: false)).Detach();
            return Autograd.Record(y, OpName, [x], g =>
            {
                Tensor hit, sign;
                using (Autograd.NoGrad())
                {
                    hit = magnitude.Eq(kept);
                    sign = x.Sign() / hit.Sum(dims, keepDim: true);
                }
                return [Tensor.Where(hit, sign * g.Reshape(kept.ShapeArray), Tensor.ZerosLike(x))];
            });
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// The p-norm of all elements (<c>torch.norm</c>, <c>torch.linalg.vector_norm</c>), p = 1, 2 (the Frobenius norm, the
        /// default) or <see cref="double.PositiveInfinity"/>. An empty tensor has norm 0; a zero vector's 2-norm has gradient 0.
        /// </summary>
        public Tensor Norm(double p = 2) => Ops.NormOp.Apply(this, p, [], keepDim: false);

        /// <summary>The p-norm over dimension <paramref name="dim"/>, p = 1, 2 or infinity.</summary>
        public Tensor Norm(double p, int dim, bool keepDim = false) => Ops.NormOp.Apply(this, p, [dim], keepDim);

        /// <summary>The p-norm over several dimensions at once (an empty list: every element), p = 1, 2 or infinity.</summary>
        public Tensor Norm(double p, int[] dims, bool keepDim = false) => Ops.NormOp.Apply(this, p, dims, keepDim);
    }
}

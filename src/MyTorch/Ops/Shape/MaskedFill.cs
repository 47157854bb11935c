using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>masked_fill: a value where the mask is non-zero, x elsewhere; the gradient is g where the mask is zero.</summary>
    internal sealed class MaskedFillOp : OpDefinition
    {
        public override string Name => "masked_fill";

        public override OpNotation Notation { get; } = new("masked_fill({0})", ["[not mask]"], ["{g} * [not mask]"], true);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("masked_fill", "(3, 4) with a broadcast (4,) mask", () => [ShapeCases.R(240, 3, 4)],
                    x => x[0].MaskedFill(Tensor.FromArray(new double[] { 1, 0, 0, 1 }), -2.5)),
            ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// PyTorch's out-of-place <c>masked_fill</c>: <paramref name="value"/> where <paramref name="mask"/> is non-zero (MyTorch's
        /// comparisons give 0/1 masks), this tensor elsewhere; the mask broadcasts. The gradient is g where the mask is zero.
        /// </summary>
        public Tensor MaskedFill(Tensor mask, double value)
        {
            ArgumentNullException.ThrowIfNull(mask);
            return Where(mask, ScalarLike(value, this), this);
        }
    }
}

using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>The error function (fdlibm's, within about an ulp in double); derivative 2/sqrt(pi) e^(-x^2).</summary>
    internal sealed class ErfOp : ElementwiseOp<ErfOp>, IElementwiseOp<ErfOp>
    {
        public static new string Name => "erf";

        public override OpNotation Notation { get; } = new("erf({0})", ["2/sqrt(pi) exp(-{0}^2)"], ["{g} * 2/sqrt(pi) exp(-{0}^2)"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = T.CreateTruncating(SpecialFunctions.Erf(double.CreateTruncating(x[i])));
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            ErfDerivativeOp.Forward(x, dx, p);
            TensorPrimitives.Multiply(g, dx, dx);
        }

        // An op of its own, so that a backward with createGraph can be differentiated again.
        public static Tensor Derivative(Tensor x, Tensor y, double p) => ErfDerivativeOp.Apply(x);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(85, -2, 2, 3, 4)])];
    }

    /// <summary>
    /// erf'(x) = 2/sqrt(pi) e^(-x^2), in double per element (TensorPrimitives.Exp's result for an element can depend on
    /// its neighbours, which would make the fused and the op forms of erf's backward differ); derivative -2 x y.
    /// </summary>
    internal sealed class ErfDerivativeOp : ElementwiseOp<ErfDerivativeOp>, IElementwiseOp<ErfDerivativeOp>
    {
        private const double TwoOverSqrtPi = 1.1283791670955126;

        public static new string Name => "erf_backward";

        public override OpNotation Notation { get; } = new("2/sqrt(pi) exp(-{0}^2)", ["-2 {0} {y}"], ["{g} * -2 {0} {y}"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++)
            {
                double v = double.CreateTruncating(x[i]);
                y[i] = T.CreateTruncating(TwoOverSqrtPi * Math.Exp(-(v * v)));
            }
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var minusTwo = T.CreateTruncating(-2);
            for (int i = 0; i < dx.Length; i++) dx[i] = g[i] * (minusTwo * x[i] * y[i]);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => -2 * x * y;

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(89, -2, 2, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The error function erf(x). Derivative: 2/sqrt(pi) e^(-x^2).</summary>
        public Tensor Erf() => Ops.ErfOp.Apply(this);
    }
}

using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>GELU with the exact normal CDF, x Φ(x); derivative Φ(x) + x φ(x).</summary>
    internal sealed class GeluOp : ElementwiseOp<GeluOp>, IElementwiseOp<GeluOp>
    {
        public static new string Name => "gelu";

        public override OpNotation Notation { get; } =
            new("gelu({0})", ["Phi({0}) + {0} phi({0})"], ["{g} * (Phi({0}) + {0} phi({0}))"], true);

        public override string ActivationName => "gelu";

        public override NN.Module CreateModule() => new NN.GELU();

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            GeluKernel.Apply(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T> => GradientTimesDerivative<GeluDerivativeKernel, T>(g, x, dx);

        // An op of its own, so that a backward with createGraph can be differentiated again.
        public static Tensor Derivative(Tensor x, Tensor y, double p) => GeluDerivativeOp.Apply(x);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(75, -3, 3, 3, 4)])];
    }

    /// <summary>
    /// GELU's derivative Φ(x) + x φ(x) as an op, for GELU's double backward; its own derivative, φ(x) (2 - x^2), is a
    /// kernel that is not differentiated further.
    /// </summary>
    internal sealed class GeluDerivativeOp : ElementwiseOp<GeluDerivativeOp>, IElementwiseOp<GeluDerivativeOp>
    {
        public static new string Name => "gelu_backward";

        public override OpNotation Notation { get; } = new("Phi({0}) + {0} phi({0})", ["phi({0}) (2 - {0}^2)"], ["{g} * phi({0}) (2 - {0}^2)"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            GeluDerivativeKernel.Apply(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T> => GradientTimesDerivative<GeluSecondDerivativeKernel, T>(g, x, dx);

        public static Tensor Derivative(Tensor x, Tensor y, double p) => Tensor.Unary<GeluSecondDerivativeKernel>(x, Name);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(77, -3, 3, 3, 4)])];
    }

    /// <summary>GELU's second derivative φ(x) (2 - x^2), in double per element.</summary>
    internal readonly struct GeluSecondDerivativeKernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < d.Length; i++)
            {
                double v = double.CreateTruncating(x[i]);
                d[i] = T.CreateTruncating(Math.Exp(-0.5 * v * v) * 0.3989422804014327 * (2 - v * v));
            }
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>GELU with the exact normal CDF: x Phi(x). Derivative: Phi(x) + x phi(x).</summary>
        public Tensor Gelu() => Ops.GeluOp.Apply(this);
    }
}

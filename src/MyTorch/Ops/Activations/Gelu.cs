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

        public static Tensor Derivative(Tensor x, Tensor y, double p) => Tensor.Unary<GeluDerivativeKernel>(x, Name);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(75, -3, 3, 3, 4)])];
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

using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>x where x &gt; 0, else slope * x; derivative 1 or the slope (the slope at 0).</summary>
    internal sealed class LeakyReluOp : ElementwiseOp<LeakyReluOp>, IElementwiseOp<LeakyReluOp>
    {
        public static new string Name => "leaky_relu";

        public override OpNotation Notation { get; } = new("leaky_relu({0})", ["1 or slope"], ["{g} * (1 or slope)"], true);

        public override string ActivationName => "leaky-relu";

        protected override double DefaultParameter => 0.01;

        public override NN.Module CreateModule() => new NN.LeakyReLU();

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T slope) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = x[i] > T.Zero ? x[i] : x[i] * slope;
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T slope)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < dx.Length; i++) dx[i] = x[i] > T.Zero ? g[i] : g[i] * slope;
        }

        public static Tensor Derivative(Tensor x, Tensor y, double slope)
        {
            var positive = x.Gt(0);
            return positive + (1 - positive) * slope;
        }

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), away from 0", () => [AwayFromZero(73, 3, 4)], p: 0.1)];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>x where x &gt; 0, else slope * x. Derivative: 1 or slope (slope at 0).</summary>
        public Tensor LeakyRelu(double negativeSlope = 0.01) => Ops.LeakyReluOp.Apply(this, negativeSlope);
    }
}

using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>tanh(x); derivative 1 - y², from the output.</summary>
    internal sealed class TanhOp : ElementwiseOp<TanhOp>, IElementwiseOp<TanhOp>
    {
        public static new string Name => "tanh";

        public override OpNotation Notation { get; } = new("tanh({0})", ["1 - {y}^2"], ["{g} * (1 - {y}^2)"], true);

        public override string ActivationName => "tanh";

        public override NN.Module CreateModule() => new NN.Tanh();

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            Kernels.TanhKernel.Apply(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < dx.Length; i++) dx[i] = g[i] * (T.One - (y[i] * y[i]));
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => 1 - y * y;

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(71, -3, 3, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>tanh(x). Derivative: 1 - tanh(x)^2, computed from the output.</summary>
        public Tensor Tanh() => Ops.TanhOp.Apply(this);
    }
}

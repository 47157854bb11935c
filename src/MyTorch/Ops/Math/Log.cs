using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>The natural logarithm; derivative 1/x.</summary>
    internal sealed class LogOp : ElementwiseOp<LogOp>, IElementwiseOp<LogOp>
    {
        public static new string Name => "log";

        public override OpNotation Notation { get; } = new("log({0})", ["1/{0}"], ["{g} / {0}"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            TensorPrimitives.Log(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Divide(g, x, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => 1 / x;

        public static Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => g / x;

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), positive", () => [Uniform(9, 0.5, 2, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>Natural logarithm. Derivative: 1/x.</summary>
        public Tensor Log() => Ops.LogOp.Apply(this);
    }
}

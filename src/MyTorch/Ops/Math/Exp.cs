using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>e^x; derivative e^x, the output.</summary>
    internal sealed class ExpOp : ElementwiseOp<ExpOp>, IElementwiseOp<ExpOp>
    {
        public static new string Name => "exp";

        public override OpNotation Notation { get; } = new("exp({0})", ["{y}"], ["{g} * {y}"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            TensorPrimitives.Exp(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Multiply(g, y, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => y;

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(8, -1, 1, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>e^x. Derivative: e^x.</summary>
        public Tensor Exp() => Ops.ExpOp.Apply(this);
    }
}

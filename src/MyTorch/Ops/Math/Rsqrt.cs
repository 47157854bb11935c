using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>1/sqrt(x), the division PyTorch computes; derivative -y^3/2, from the output.</summary>
    internal sealed class RsqrtOp : ElementwiseOp<RsqrtOp>, IElementwiseOp<RsqrtOp>
    {
        public static new string Name => "rsqrt";

        public override OpNotation Notation { get; } = new("rsqrt({0})", ["-0.5 {y}^3"], ["{g} * -0.5 {y}^3"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Sqrt(x, y);
            TensorPrimitives.Divide(T.One, y, y);
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Pow(y, T.CreateTruncating(3), dx);
            TensorPrimitives.Multiply(dx, T.CreateTruncating(-0.5), dx);
            TensorPrimitives.Multiply(g, dx, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => -0.5 * y.Pow(3);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), positive", () => [Uniform(84, 0.5, 2, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>1/sqrt(x). Derivative: -1/(2 x^(3/2)), that is -y^3/2.</summary>
        public Tensor Rsqrt() => Ops.RsqrtOp.Apply(this);
    }
}

using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>The square root; derivative 1/(2 sqrt x), from the output.</summary>
    internal sealed class SqrtOp : ElementwiseOp<SqrtOp>, IElementwiseOp<SqrtOp>
    {
        public static new string Name => "sqrt";

        public override OpNotation Notation { get; } = new("sqrt({0})", ["1/(2 {y})"], ["{g} / (2 {y})"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            TensorPrimitives.Sqrt(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Multiply(y, T.CreateTruncating(2), dx);
            TensorPrimitives.Divide(g, dx, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => 1 / (2 * y);

        public static Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => g / (2 * y);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), positive", () => [Uniform(10, 0.5, 2, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>Square root. Derivative: 1/(2 sqrt x).</summary>
        public Tensor Sqrt() => Ops.SqrtOp.Apply(this);
    }
}

using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>sin(x) (Math.Sin, in double); derivative cos(x).</summary>
    internal sealed class SinOp : ElementwiseOp<SinOp>, IElementwiseOp<SinOp>
    {
        public static new string Name => "sin";

        public override OpNotation Notation { get; } = new("sin({0})", ["cos({0})"], ["{g} * cos({0})"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = T.CreateTruncating(Math.Sin(double.CreateTruncating(x[i])));
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CosOp.Forward(x, dx, p);
            TensorPrimitives.Multiply(g, dx, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => x.Cos();

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(82, -4, 4, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>Sine (radians). Derivative: cos(x).</summary>
        public Tensor Sin() => Ops.SinOp.Apply(this);
    }
}

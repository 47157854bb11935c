using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>cos(x) (Math.Cos, in double); derivative -sin(x).</summary>
    internal sealed class CosOp : ElementwiseOp<CosOp>, IElementwiseOp<CosOp>
    {
        public static new string Name => "cos";

        public override OpNotation Notation { get; } = new("cos({0})", ["-sin({0})"], ["{g} * -sin({0})"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = T.CreateTruncating(Math.Cos(double.CreateTruncating(x[i])));
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            SinOp.Forward(x, dx, p);
            TensorPrimitives.Negate(dx, dx);
            TensorPrimitives.Multiply(g, dx, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => -x.Sin();

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(83, -4, 4, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>Cosine (radians). Derivative: -sin(x).</summary>
        public Tensor Cos() => Ops.CosOp.Apply(this);
    }
}

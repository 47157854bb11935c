using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>floor(x): the largest integer &lt;= x (-0 stays -0); its gradient is zero everywhere, as in PyTorch.</summary>
    internal sealed class FloorOp : ElementwiseOp<FloorOp>, IElementwiseOp<FloorOp>
    {
        public static new string Name => "floor";

        public override OpNotation Notation { get; } = new("floor({0})", ["0"], ["0"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Floor(x, y);
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            dx.Clear();
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => Tensor.ZerosLike(x);

        // Zeros, not g * 0: an infinite or NaN gradient still gives 0, as PyTorch's zeros_like(grad).
        public static Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => Tensor.ZerosLike(x);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), away from integers", () => [AwayFromIntegers(86, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The largest integer &lt;= x (floor, as PyTorch). Gradient: 0.</summary>
        public Tensor Floor() => Ops.FloorOp.Apply(this);
    }
}

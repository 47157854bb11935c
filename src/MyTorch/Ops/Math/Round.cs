using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>round(x): the nearest integer, halves to even (-0 stays -0); its gradient is zero everywhere, as in PyTorch.</summary>
    internal sealed class RoundOp : ElementwiseOp<RoundOp>, IElementwiseOp<RoundOp>
    {
        public static new string Name => "round";

        public override OpNotation Notation { get; } = new("round({0})", ["0"], ["0"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Round(x, y);
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            dx.Clear();
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => Tensor.ZerosLike(x);

        // Zeros, not g * 0: an infinite or NaN gradient still gives 0, as PyTorch's zeros_like(grad).
        public static Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => Tensor.ZerosLike(x);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), away from integers", () => [AwayFromIntegers(88, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The nearest integer, halves to even (round, as PyTorch; ties go to the even integer). Gradient: 0.</summary>
        public Tensor Round() => Ops.RoundOp.Apply(this);
    }
}

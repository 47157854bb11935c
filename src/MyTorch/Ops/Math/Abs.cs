using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>|x|; derivative sign(x), 0 at 0 as in PyTorch.</summary>
    internal sealed class AbsOp : ElementwiseOp<AbsOp>, IElementwiseOp<AbsOp>
    {
        public static new string Name => "abs";

        public override OpNotation Notation { get; } = new("|{0}|", ["sign({0})"], ["{g} * sign({0})"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            TensorPrimitives.Abs(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            GradientTimesDerivative<SignKernel, T>(g, x, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => x.Sign();

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), away from 0", () => [AwayFromZero(11, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>|x|. Derivative: sign(x), taken as 0 at 0.</summary>
        public Tensor Abs() => Ops.AbsOp.Apply(this);
    }
}

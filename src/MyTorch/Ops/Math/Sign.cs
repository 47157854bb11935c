using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>sign(x): -1, 0 or 1 (NaN stays NaN); its gradient is zero everywhere, as in PyTorch.</summary>
    internal sealed class SignOp : ElementwiseOp<SignOp>, IElementwiseOp<SignOp>
    {
        public static new string Name => "sign";

        public override OpNotation Notation { get; } = new("sign({0})", ["0"], ["0"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            SignKernel.Apply(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T> => dx.Clear();

        public static Tensor Derivative(Tensor x, Tensor y, double p) => Tensor.ZerosLike(x);

        // Zeros, not g * 0: an infinite or NaN gradient still gives 0, as PyTorch's zeros_like(grad).
        public static Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => Tensor.ZerosLike(x);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), away from 0", () => [AwayFromZero(19, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>-1, 0 or 1 by the sign of each element. Its gradient is zero everywhere, as in PyTorch.</summary>
        public Tensor Sign() => Ops.SignOp.Apply(this);
    }
}

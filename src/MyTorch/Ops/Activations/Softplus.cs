using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>log(1 + e^x), x itself above 20 as in PyTorch; derivative sigmoid(x), exactly 1 above the threshold.</summary>
    internal sealed class SoftplusOp : ElementwiseOp<SoftplusOp>, IElementwiseOp<SoftplusOp>
    {
        public static new string Name => "softplus";

        public override OpNotation Notation { get; } = new("softplus({0})", ["sigmoid({0})"], ["{g} * sigmoid({0})"], true);

        public override string ActivationName => "softplus";

        public override NN.Module CreateModule() => new NN.Softplus();

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            SoftplusKernel.Apply(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T> => GradientTimesDerivative<SoftplusDerivativeKernel, T>(g, x, dx);

        // As ops (the kernel's sigmoid, 1 above the threshold), so that a backward with createGraph can be differentiated again.
        public static Tensor Derivative(Tensor x, Tensor y, double p) => Tensor.Where(x.Gt(20), Tensor.OnesLike(x), x.Sigmoid());

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(74, -3, 3, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>log(1 + e^x) (x itself above 20, as in PyTorch). Derivative: sigmoid(x).</summary>
        public Tensor Softplus() => Ops.SoftplusOp.Apply(this);
    }
}

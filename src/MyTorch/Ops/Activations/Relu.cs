using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>max(x, 0); derivative 1 where x &gt; 0 and 0 where x &lt;= 0 (seed 004's convention at 0).</summary>
    internal sealed class ReluOp : ElementwiseOp<ReluOp>, IElementwiseOp<ReluOp>
    {
        public static new string Name => "relu";

        public override OpNotation Notation { get; } = new("relu({0})", ["[{0} > 0]"], ["{g} * [{0} > 0]"], true);

        public override string ActivationName => "relu";

        public override NN.Module CreateModule() => new NN.ReLU();

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            TensorPrimitives.Max(x, T.Zero, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T> => ActivationKernels.ReluBackward(g, x, dx);

        public static Tensor Derivative(Tensor x, Tensor y, double p) => x.Gt(0);

        // The gradient is selected, not multiplied by the mask: an infinite gradient where x <= 0 gives 0, not NaN.
        public static Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => Tensor.Where(x.Gt(0), g, Tensor.ZerosLike(g));

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), away from 0", () => [AwayFromZero(72, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>max(x, 0). Derivative: 1 where x &gt; 0 and 0 where x &lt;= 0 (seed 004's convention at 0).</summary>
        public Tensor Relu() => Ops.ReluOp.Apply(this);
    }
}

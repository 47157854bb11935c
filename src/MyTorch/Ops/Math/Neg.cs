using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>-x; derivative -1.</summary>
    internal sealed class NegOp : ElementwiseOp<NegOp>, IElementwiseOp<NegOp>
    {
        public static new string Name => "neg";

        public override OpNotation Notation { get; } = new("-{0}", ["-1"], ["-{g}"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            TensorPrimitives.Negate(x, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Negate(g, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => -Tensor.OnesLike(x);

        public static Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => -g;

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(7, -1, 1, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>-x.</summary>
        public Tensor Neg() => Ops.NegOp.Apply(this);
    }
}

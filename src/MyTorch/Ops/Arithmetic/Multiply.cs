using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>a * b; the gradients are g b and g a.</summary>
    internal sealed class MultiplyOp : BinaryOp<MultiplyOp, MultiplyKernel>, IBinaryOp<MultiplyOp>
    {
        public static new string Name => "mul";

        public override OpNotation Notation { get; } = new("{0} * {1}", ["{1}", "{0}"], ["{g} * {1}", "{g} * {0}"], true);

        public static Tensor GradientA(Tensor g, Tensor a, Tensor b) => g * b;

        public static Tensor GradientB(Tensor g, Tensor a, Tensor b) => g * a;
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>Element-wise product with broadcasting.</summary>
        public static Tensor Multiply(Tensor a, Tensor b) => Ops.MultiplyOp.Apply(a, b);
    }
}

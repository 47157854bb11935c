using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>a / b; the gradients are g / b and -g (a / b) / b.</summary>
    internal sealed class DivideOp : BinaryOp<DivideOp, DivideKernel>, IBinaryOp<DivideOp>
    {
        public static new string Name => "div";

        public override OpNotation Notation { get; } = new("{0} / {1}", ["1/{1}", "-{0}/{1}^2"], ["{g} / {1}", "-{g} * {0}/{1}^2"], true);

        protected override bool PositiveSecondOperand => true;

        public static Tensor GradientA(Tensor g, Tensor a, Tensor b) => g / b;

        // -g (a / b) / b, in PyTorch's order: a / (b * b) underflows to 0 or overflows where a / b is fine.
        public static Tensor GradientB(Tensor g, Tensor a, Tensor b) => -g * (a / b / b);
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>Element-wise quotient with broadcasting.</summary>
        public static Tensor Divide(Tensor a, Tensor b) => Ops.DivideOp.Apply(a, b);
    }
}

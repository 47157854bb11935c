using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>a - b; the gradients are g and -g.</summary>
    internal sealed class SubtractOp : BinaryOp<SubtractOp, SubtractKernel>, IBinaryOp<SubtractOp>
    {
        public static new string Name => "sub";

        public override OpNotation Notation { get; } = new("{0} - {1}", ["1", "-1"], ["{g}", "-{g}"], true);

        public static SavedTensors Saves => SavedTensors.None;

        public static Tensor GradientA(Tensor g, Tensor a, Tensor b) => g;

        public static Tensor GradientB(Tensor g, Tensor a, Tensor b) => -g;
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>Element-wise difference with broadcasting.</summary>
        public static Tensor Subtract(Tensor a, Tensor b) => Ops.SubtractOp.Apply(a, b);
    }
}

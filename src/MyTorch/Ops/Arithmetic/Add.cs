using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>a + b; each gradient is g.</summary>
    internal sealed class AddOp : BinaryOp<AddOp, AddKernel>, IBinaryOp<AddOp>
    {
        public static new string Name => "add";

        public override OpNotation Notation { get; } = new("{0} + {1}", ["1", "1"], ["{g}", "{g}"], true);

        public static SavedTensors Saves => SavedTensors.None;

        public static Tensor GradientA(Tensor g, Tensor a, Tensor b) => g;

        public static Tensor GradientB(Tensor g, Tensor a, Tensor b) => g;
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>Element-wise sum with broadcasting.</summary>
        public static Tensor Add(Tensor a, Tensor b) => Ops.AddOp.Apply(a, b);
    }
}

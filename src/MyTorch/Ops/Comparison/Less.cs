using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>a &lt; b with broadcasting: 1 where it holds, else 0, in the operands' dtype (PyTorch: bool). Not differentiable.</summary>
    internal sealed class LessOp : OpDefinition
    {
        public override string Name => "lt";

        public override OpNotation Notation { get; } = new("[{0} < {1}]", ["0 (not differentiable)", "0 (not differentiable)"], ["none", "none"], true);

        public static Tensor Apply(Tensor a, Tensor b) => Tensor.Binary<LessKernel>(a, b, "lt");
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>1 where this &lt; other, else 0 (same dtype; not differentiable).</summary>
        public Tensor Lt(Tensor other) => Ops.LessOp.Apply(this, other);

        /// <summary>1 where this &lt; value, else 0.</summary>
        public Tensor Lt(double value) => Ops.LessOp.Apply(this, ScalarLike(value, this));
    }
}

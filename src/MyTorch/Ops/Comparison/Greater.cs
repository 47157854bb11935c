using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>a &gt; b with broadcasting: 1 where it holds, else 0, in the operands' dtype (PyTorch: bool). Not differentiable.</summary>
    internal sealed class GreaterOp : OpDefinition
    {
        public override string Name => "gt";

        public override OpNotation Notation { get; } = new("[{0} > {1}]", ["0 (not differentiable)", "0 (not differentiable)"], ["none", "none"], true);

        public static Tensor Apply(Tensor a, Tensor b) => Tensor.Binary<GreaterKernel>(a, b, "gt");
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>1 where this &gt; other, else 0 (same dtype; not differentiable).</summary>
        public Tensor Gt(Tensor other) => Ops.GreaterOp.Apply(this, other);

        /// <summary>1 where this &gt; value, else 0.</summary>
        public Tensor Gt(double value) => Ops.GreaterOp.Apply(this, ScalarLike(value, this));
    }
}

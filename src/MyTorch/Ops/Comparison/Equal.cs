using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>a == b with broadcasting: 1 where it holds, else 0, in the operands' dtype (PyTorch: bool). Not differentiable.</summary>
    internal sealed class EqualOp : OpDefinition
    {
        public override string Name => "eq";

        public override OpNotation Notation { get; } = new("[{0} == {1}]", ["0 (not differentiable)", "0 (not differentiable)"], ["none", "none"], true);

        public static Tensor Apply(Tensor a, Tensor b) => Tensor.Binary<EqualKernel>(a, b, "eq");
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>1 where this == other, else 0 (same dtype; not differentiable).</summary>
        public Tensor Eq(Tensor other) => Ops.EqualOp.Apply(this, other);

        /// <summary>1 where this == value, else 0.</summary>
        public Tensor Eq(double value) => Ops.EqualOp.Apply(this, ScalarLike(value, this));
    }
}

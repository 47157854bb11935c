using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>a &lt;= b with broadcasting: 1 where it holds, else 0, in the operands' dtype (PyTorch: bool). Not differentiable.</summary>
    internal sealed class LessOrEqualOp : OpDefinition
    {
        public override string Name => "le";

        public override OpNotation Notation { get; } = new("[{0} <= {1}]", ["0 (not differentiable)", "0 (not differentiable)"], ["none", "none"], true);

        public static Tensor Apply(Tensor a, Tensor b) => Tensor.Binary<LessOrEqualKernel>(a, b, "le");
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>1 where this &lt;= other, else 0 (same dtype; not differentiable).</summary>
        public Tensor Le(Tensor other) => Ops.LessOrEqualOp.Apply(this, other);

        /// <summary>1 where this &lt;= value, else 0.</summary>
        public Tensor Le(double value) => Ops.LessOrEqualOp.Apply(this, ScalarLike(value, this));
    }
}

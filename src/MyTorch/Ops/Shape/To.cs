using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// to: a copy converted to another dtype; between float types the gradient is g converted back. It has no
    /// gradient-check case: a float64 finite difference through a float32 copy measures float32 rounding.
    /// </summary>
    internal sealed class ToOp : OpDefinition
    {
        public override string Name => "to";

        public override OpNotation Notation { get; } = new("to({0})", ["1"], ["{g}"], true);
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>A copy of this tensor converted to <paramref name="dtype"/>; differentiable between float types.</summary>
        public Tensor To(DType dtype)
        {
            if (dtype == DType) return this;
            var result = Empty((int[])shape.Clone(), dtype, "To");
            Compiled.Recording.Launch((x: this, result), static s =>
            {
                var (x, result) = s;
                switch ((x.DType, result.DType))
                {
                    case (DType.Float32, DType.Float64):
                        var wide = result.F64;
                        var narrow = x.F32;
                        for (int i = 0; i < wide.Length; i++) wide[i] = narrow[i];
                        break;
                    case (DType.Float64, DType.Float32):
                        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(x.F64, result.F32);
                        break;
                    default:
                        for (int i = 0; i < result.Count; i++) result.SetDouble(i, x.GetDouble(i));
                        break;
                }
            });
            if (DType.IsFloatingPoint() && dtype.IsFloatingPoint())
            {
                var source = this;
                return Autograd.Record(result, "to", [this], g => [g.To(source.DType)], SavedTensors.None);
            }
            return result;
        }
    }
}

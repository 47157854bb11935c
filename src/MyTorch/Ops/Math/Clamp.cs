using System.Numerics.Tensors;
using MyTorch.Compiled;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// clamp(x, min, max) with scalar bounds (either optional); with min &gt; max every element is max, as in PyTorch.
    /// The gradient is selected where min &lt;= x &lt;= max, else 0.
    /// </summary>
    internal sealed class ClampOp : OpDefinition
    {
        public override string Name => "clamp";

        public override OpNotation Notation { get; } = new("clamp({0})", ["[min <= {0} <= max]"], ["{g} * [min <= {0} <= max]"], true);

        public static Tensor Apply(Tensor x, double? min, double? max)
        {
            ArgumentNullException.ThrowIfNull(x);
            x.RequireFloat("clamp");
            var y = Tensor.EmptyLike(x);
            Recording.Launch((x, min, max, y), static s =>
            {
                if (s.x.DType == DType.Float32)
                {
                    s.x.F32.CopyTo(s.y.F32, 0);
                    if (s.min is double lo32) TensorPrimitives.Max(s.y.F32, (float)lo32, s.y.F32);
                    if (s.max is double hi32) TensorPrimitives.Min(s.y.F32, (float)hi32, s.y.F32);
                }
                else
                {
                    s.x.F64.CopyTo(s.y.F64, 0);
                    if (s.min is double lo64) TensorPrimitives.Max(s.y.F64, lo64, s.y.F64);
                    if (s.max is double hi64) TensorPrimitives.Min(s.y.F64, hi64, s.y.F64);
                }
            });
            return Autograd.Record(y, "clamp", [x], g =>
            {
                // Select rather than multiply by a 0/1 mask: an infinite g must give 0 outside the range, not NaN.
                var inside = Tensor.OnesLike(x);
                if (min is double a) inside = inside * x.Ge(a);
                if (max is double b) inside = inside * x.Le(b);
                return [Tensor.Where(inside, g, Tensor.ZerosLike(x))];
            });
        }

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", "clamp", "(2, 3) to [-0.5, 0.5]",
                () => [Tensor.FromArray(new double[] { -1.2, -0.7, -0.3, 0.2, 0.6, 1.1 }, [2, 3], requiresGrad: true)],
                x => x[0].Clamp(-0.5, 0.5)),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Limits every element to [<paramref name="min"/>, <paramref name="max"/>] (either bound optional); with
        /// min &gt; max every element is max, as in PyTorch. The gradient passes where min &lt;= x &lt;= max, else 0.
        /// </summary>
        public Tensor Clamp(double? min = null, double? max = null) => Ops.ClampOp.Apply(this, min, max);
    }
}

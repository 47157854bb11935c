using System.Numerics.Tensors;
using MyTorch.Compiled;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// clamp(x, min, max) with tensor bounds (either optional) and broadcasting: min(max(x, min), max), NaN in any of
    /// the three gives NaN, min &gt; max gives max, as in PyTorch. The gradients are selected, never multiplied by a mask:
    /// x's where min &lt;= x &lt;= max, min's where x &lt; min &lt; max, max's where x &gt; max or max &lt; min.
    /// </summary>
    internal sealed class ClampTensorOp : OpDefinition
    {
        public override string Name => "clamp_tensor";

        public override OpNotation Notation { get; } = new("clamp({0}, {1}, {2})",
            ["[{1} <= {0} <= {2}]", "[{0} < {1} < {2}]", "[{0} > {2} or {2} < {1}]"],
            ["{g} * [{1} <= {0} <= {2}]", "{g} * [{0} < {1} < {2}]", "{g} * [{0} > {2} or {2} < {1}]"], true);

        public static Tensor Apply(Tensor x, Tensor? min, Tensor? max)
        {
            ArgumentNullException.ThrowIfNull(x);
            if (min is null && max is null) throw new TensorShapeException("clamp: at least one of min and max must be given.");
            x.RequireFloat("clamp");
            var shape = x.ShapeArray;
            foreach (var bound in new[] { min, max })
            {
                if (bound is null) continue;
                if (bound.DType != x.DType) Tensor.ThrowDTypeMismatch("clamp", x, bound);
                shape = Shapes.Broadcast(shape, bound.ShapeArray, "clamp");
            }
            var ex = x.BroadcastTo(shape).Detach();
            var lo = min?.BroadcastTo(shape).Detach();
            var hi = max?.BroadcastTo(shape).Detach();
            var y = Tensor.Empty((int[])shape.Clone(), x.DType, "clamp");
            Recording.Launch((ex, lo, hi, y), static s =>
            {
                if (s.y.DType == DType.Float32)
                {
                    s.ex.F32.CopyTo(s.y.F32, 0);
                    if (s.lo is not null) TensorPrimitives.Max(s.y.F32, s.lo.F32, s.y.F32);
                    if (s.hi is not null) TensorPrimitives.Min(s.y.F32, s.hi.F32, s.y.F32);
                }
                else
                {
                    s.ex.F64.CopyTo(s.y.F64, 0);
                    if (s.lo is not null) TensorPrimitives.Max(s.y.F64, s.lo.F64, s.y.F64);
                    if (s.hi is not null) TensorPrimitives.Min(s.y.F64, s.hi.F64, s.y.F64);
                }
            });
            var inputs = new List<Tensor> { x };
            if (min is not null) inputs.Add(min);
            if (max is not null) inputs.Add(max);
            return Autograd.Record(y, "clamp_tensor", [.. inputs], g =>
            {
                var zeros = Tensor.ZerosLike(g);
                Tensor? dx = null, dMin = null, dMax = null;
                if (x.RequiresGrad)
                {
                    var inside = lo is null ? ex.Le(hi!) : hi is null ? ex.Ge(lo) : ex.Ge(lo) * ex.Le(hi);
                    dx = Tensor.Where(inside, g, zeros).SumTo(x.ShapeArray);
                }
                if (min is not null && min.RequiresGrad)
                {
                    var below = hi is null ? ex.Lt(lo!) : ex.Lt(lo!) * lo!.Lt(hi);
                    dMin = Tensor.Where(below, g, zeros).SumTo(min.ShapeArray);
                }
                if (max is not null && max.RequiresGrad)
                {
                    var above = lo is null ? ex.Gt(hi!) : Tensor.Maximum(ex.Gt(hi!), hi!.Lt(lo));
                    dMax = Tensor.Where(above, g, zeros).SumTo(max.ShapeArray);
                }
                return min is null ? [dx, dMax] : max is null ? [dx, dMin] : [dx, dMin, dMax];
            });
        }

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", "clamp_tensor", "(3, 4) to (3, 4) and (4,) bounds", () => [Uniform(95, -2, 2, 3, 4), Distinct(96, -1.5, 3, 4), Distinct(97, 0.5, 4)],
                x => Tensor.Clamp(x[0], x[1], x[2])),
            new("op", "clamp_tensor", "(3, 4), min only, (3, 1)", () => [Uniform(98, -2, 2, 3, 4), Distinct(99, -0.5, 3, 1)],
                x => Tensor.Clamp(x[0], x[1], null)),
        ];

        private static Tensor Uniform(ulong seed, double low, double high, params int[] shape) =>
            Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad: true);

        // Bounds on a grid of step 0.25 plus 0.1: no input from Uniform lies within the finite-difference step of one.
        private static Tensor Distinct(ulong seed, double offset, params int[] shape)
        {
            var generator = new Generator(seed);
            var values = new double[Shapes.Count(shape)];
            for (int i = 0; i < values.Length; i++) values[i] = offset + 0.1 + 0.25 * Math.Floor(4 * generator.NextDouble());
            return Tensor.FromArray(values, shape, requiresGrad: true);
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Limits every element of <paramref name="x"/> to [<paramref name="min"/>, <paramref name="max"/>], tensors
        /// broadcast with x (either optional, not both). Each of the three gets its gradient where it was selected, as in PyTorch.
        /// </summary>
        public static Tensor Clamp(Tensor x, Tensor? min, Tensor? max) => Ops.ClampTensorOp.Apply(x, min, max);

        /// <summary>Limits every element to tensor bounds; see <see cref="Clamp(Tensor, Tensor?, Tensor?)"/>.</summary>
        public Tensor Clamp(Tensor? min, Tensor? max) => Ops.ClampTensorOp.Apply(this, min, max);
    }
}

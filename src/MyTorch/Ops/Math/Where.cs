using MyTorch.Compiled;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>where(c, a, b) with broadcasting; the gradient goes to the input that was picked.</summary>
    internal sealed class WhereOp : OpDefinition
    {
        public override string Name => "where";

        public override OpNotation Notation { get; } = new("where(c, {0}, {1})", ["[c]", "[not c]"], ["{g} * [c]", "{g} * [not c]"], true);

        public static Tensor Apply(Tensor condition, Tensor a, Tensor b)
        {
            ArgumentNullException.ThrowIfNull(condition);
            ArgumentNullException.ThrowIfNull(a);
            ArgumentNullException.ThrowIfNull(b);
            var outShape = Shapes.Broadcast(Shapes.Broadcast(condition.ShapeArray, a.ShapeArray, "where"), b.ShapeArray, "where");
            if (a.DType != b.DType) Tensor.ThrowDTypeMismatch("where", a, b);
            var c = condition.BroadcastTo(outShape).Detach();
            var ea = a.BroadcastTo(outShape).Detach();
            var eb = b.BroadcastTo(outShape).Detach();
            var y = Tensor.Empty(outShape, a.DType, "where");
            Recording.Launch((c, ea, eb, y), static s =>
            {
                switch (s.y.DType)
                {
                    case DType.Float32: Select<float>(s.c, s.ea.F32, s.eb.F32, s.y.F32); break;
                    case DType.Float64: Select<double>(s.c, s.ea.F64, s.eb.F64, s.y.F64); break;
                    default: Select<long>(s.c, s.ea.I64, s.eb.I64, s.y.I64); break;
                }
            });
            return Autograd.Record(y, "where", [a, b], g =>
            {
                var zeros = Tensor.ZerosLike(g);
                return [
                    a.RequiresGrad ? Apply(c, g, zeros).SumTo(a.ShapeArray) : null,
                    b.RequiresGrad ? Apply(c, zeros, g).SumTo(b.ShapeArray) : null];
            });
        }

        private static void Select<T>(Tensor condition, ReadOnlySpan<T> whenTrue, ReadOnlySpan<T> whenFalse, Span<T> destination)
        {
            for (int i = 0; i < destination.Length; i++)
                destination[i] = condition.GetDouble(i) != 0 ? whenTrue[i] : whenFalse[i];
        }

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", "where", "(3, 4) mask",
                () => [Uniform(17), Uniform(18)],
                x => Tensor.Where(Tensor.FromArray(new double[] { 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0 }, [3, 4]), x[0], x[1])),
        ];

        private static Tensor Uniform(ulong seed) => Tensor.Uniform([3, 4], -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Picks from <paramref name="a"/> where <paramref name="condition"/> is non-zero and from
        /// <paramref name="b"/> elsewhere, broadcasting all three. The gradient goes to the input that was picked.
        /// </summary>
        public static Tensor Where(Tensor condition, Tensor a, Tensor b) => Ops.WhereOp.Apply(condition, a, b);
    }
}

using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// y[o, j, i] = x[o, index[o, j, i], i] along one dimension: the values that sort, topk and median select, whose
    /// gradient <see cref="ReductionScatterOp"/> adds back at the chosen positions.
    /// </summary>
    internal sealed class ReductionGatherOp : ReductionOp
    {
        public const string OpName = "reduction_gather";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("{0}[index]", ["1 at the chosen positions"], ["{g} added at the chosen positions"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) rows 2, 0, 2 along 1", () => [Uniform(200, 3, 4)],
                x => x[0].GatherAlong(Tensor.FromArray(new long[] { 2, 0, 2, 1, 1, 3, 0, 0, 3 }, [3, 3]), 1)),
        ];

        public static Tensor Apply(Tensor x, Tensor index, int d, string name = OpName)
        {
            var (outer, inner) = x.OuterInner(d);
            var y = Tensor.Empty((int[])index.ShapeArray.Clone(), x.DType, name);
            Compiled.Recording.Launch((x, index, y, outer, size: x.ShapeArray[d], k: index.ShapeArray[d], inner), static s =>
            {
                switch (s.x.DType)
                {
                    case DType.Float32: Gather<float>(s.x.F32, s.index.I64, s.y.F32, s.outer, s.size, s.k, s.inner); break;
                    case DType.Float64: Gather<double>(s.x.F64, s.index.I64, s.y.F64, s.outer, s.size, s.k, s.inner); break;
                    default: Gather<long>(s.x.I64, s.index.I64, s.y.I64, s.outer, s.size, s.k, s.inner); break;
                }
            });
            var shape = x.ShapeArray;
            return Autograd.Record(y, name, [x], g => [ReductionScatterOp.Apply(g, index, d, shape)]);
        }

        private static void Gather<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> index, Span<T> y, int outer, int size, int k, int inner)
        {
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < k; j++)
                    for (int i = 0; i < inner; i++)
                    {
                        int at = (o * k + j) * inner + i;
                        y[at] = x[(o * size + (int)index[at]) * inner + i];
                    }
        }
    }

    /// <summary>Zeros of a shape with g[o, j, i] added at [o, index[o, j, i], i]: the gradient of <see cref="ReductionGatherOp"/>.</summary>
    internal sealed class ReductionScatterOp : ReductionOp
    {
        public const string OpName = "reduction_scatter";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("scatter_add({0})", ["1 at the chosen positions"], ["{g} at the chosen positions"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 2) into (3, 4) along 1", () => [Uniform(201, 3, 2)],
                x => ReductionScatterOp.Apply(x[0], Tensor.FromArray(new long[] { 2, 0, 1, 1, 3, 0 }, [3, 2]), 1, [3, 4])),
        ];

        public static Tensor Apply(Tensor g, Tensor index, int d, int[] shape)
        {
            var (outer, inner) = OuterInner(shape, d);
            var y = Tensor.Empty((int[])shape.Clone(), g.DType, OpName);
            Compiled.Recording.Launch((g, index, y, outer, size: shape[d], k: index.ShapeArray[d], inner), static s =>
            {
                if (s.g.DType == DType.Float32) Scatter<float>(s.g.F32, s.index.I64, s.y.F32, s.outer, s.size, s.k, s.inner);
                else Scatter<double>(s.g.F64, s.index.I64, s.y.F64, s.outer, s.size, s.k, s.inner);
            });
            return Autograd.Record(y, OpName, [g], gg => [ReductionGatherOp.Apply(gg, index, d)]);
        }

        private static void Scatter<T>(ReadOnlySpan<T> g, ReadOnlySpan<long> index, Span<T> y, int outer, int size, int k, int inner)
            where T : unmanaged, INumber<T>
        {
            y.Clear();
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < k; j++)
                    for (int i = 0; i < inner; i++)
                    {
                        int at = (o * k + j) * inner + i;
                        y[(o * size + (int)index[at]) * inner + i] += g[at];
                    }
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The elements at <paramref name="index"/> (int64, in range, this tensor's shape but for dimension d) along d.</summary>
        internal Tensor GatherAlong(Tensor index, int d) => Ops.ReductionGatherOp.Apply(this, index, d);
    }
}

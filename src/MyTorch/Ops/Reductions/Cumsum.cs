using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// The running sum along one dimension, y_k = x_0 + ... + x_k, added in order; its gradient is the reversed running sum of
    /// g (dx_i = g_i + ... + g_{n-1}), whose own gradient is the forward running sum again, so every order of derivative works.
    /// </summary>
    internal sealed class CumsumOp : ReductionOp
    {
        public const string OpName = "cumsum";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("cumsum({0})", ["1 for every later position"], ["reversed cumsum of {g}"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) along 1", () => [Uniform(210, 3, 4)], x => x[0].Cumsum(1)),
            Case("(2, 3, 4) along 0", () => [Uniform(211, 2, 3, 4)], x => x[0].Cumsum(0)),
            Case("(5,) reversed", () => [Uniform(212, 5)], x => Apply(x[0], 0, reverse: true)),
        ];

        /// <summary>The running sum along d, from the first element (or from the last, when <paramref name="reverse"/>).</summary>
        public static Tensor Apply(Tensor x, int d, bool reverse)
        {
            var (outer, inner) = x.OuterInner(d);
            var y = Tensor.Empty((int[])x.ShapeArray.Clone(), x.DType, OpName);
            Compiled.Recording.Launch((x, y, outer, size: x.ShapeArray[d], inner, reverse), static s =>
            {
                switch (s.x.DType)
                {
                    case DType.Float32: Scan<float>(s.x.F32, s.y.F32, s.outer, s.size, s.inner, s.reverse); break;
                    case DType.Float64: Scan<double>(s.x.F64, s.y.F64, s.outer, s.size, s.inner, s.reverse); break;
                    default: Scan<long>(s.x.I64, s.y.I64, s.outer, s.size, s.inner, s.reverse); break;
                }
            });
            return Autograd.Record(y, OpName, [x], g => [Apply(g, d, !reverse)], SavedTensors.None);
        }

        private static void Scan<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int size, int inner, bool reverse) where T : INumber<T>
        {
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int start = o * size * inner + i;
                    T running = T.Zero;
                    for (int j = 0; j < size; j++)
                    {
                        int at = start + (reverse ? size - 1 - j : j) * inner;
                        running += x[at];
                        y[at] = running;
                    }
                }
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// The running sum along <paramref name="dim"/> (<c>torch.cumsum</c>): element k is the sum of elements 0..k, added in
        /// order. Same shape and dtype (float or int64); a 0-d tensor is returned as is.
        /// </summary>
        public Tensor Cumsum(int dim)
        {
            int d = Shapes.WrapDim(dim, Math.Max(Rank, 1), Ops.CumsumOp.OpName);
            if (Rank == 0) return Reshape(1).Cumsum(0).Reshape();
            return Ops.CumsumOp.Apply(this, d, reverse: false);
        }
    }
}

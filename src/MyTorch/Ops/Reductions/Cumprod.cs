using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// The running product along one dimension, y_k = x_0 x_1 ... x_k, multiplied in order. Its gradient,
    /// dx_i = sum over k &gt;= i of g_k prod_{j &lt;= k, j != i} x_j, is exact with zeros, as PyTorch's: before the first zero
    /// of a line it is the reversed cumsum of g y divided by x_i; at the first zero it is the reversed cumsum of g times the
    /// running product with that zero replaced by 1; after it, 0. With createGraph it is PyTorch's O(n^2) form as ops of x,
    /// which differentiates again correctly at zeros too.
    /// </summary>
    internal sealed class CumprodOp : ReductionOp
    {
        public const string OpName = "cumprod";

        public override string Name => OpName;

        public override OpNotation Notation { get; } =
            new("cumprod({0})", ["prod of the others up to each later position"], ["reversed cumsum of {g} * {y}, over {0}"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) along 1", () => [Uniform(220, 3, 4)], x => x[0].Cumprod(1)),
            Case("(2, 3, 4) along 0", () => [Uniform(221, 0.5, 2, 2, 3, 4)], x => x[0].Cumprod(0)),
            Case("(2, 5) with zeros along 1", () => [Tensor.FromArray(new double[] { 0.5, 0, 1.5, -2, 0.7, 1.2, -0.8, 0, 0.9, 0 }, [2, 5], requiresGrad: true)],
                x => x[0].Cumprod(1)),
        ];

        public static Tensor Apply(Tensor x, int d)
        {
            var (outer, inner) = x.OuterInner(d);
            var y = Tensor.Empty((int[])x.ShapeArray.Clone(), x.DType, OpName);
            Compiled.Recording.Launch((x, y, outer, size: x.ShapeArray[d], inner), static s =>
            {
                switch (s.x.DType)
                {
                    case DType.Float32: Scan<float>(s.x.F32, s.y.F32, s.outer, s.size, s.inner); break;
                    case DType.Float64: Scan<double>(s.x.F64, s.y.F64, s.outer, s.size, s.inner); break;
                    default: Scan<long>(s.x.I64, s.y.I64, s.outer, s.size, s.inner); break;
                }
            });
            return Autograd.Record(y, OpName, [x], g => [Autograd.IsGradEnabled ? DifferentiableGradient(g, x, d) : Gradient(g, x, y, d)]);
        }

        // With createGraph, PyTorch's form for double backward: dx_k = sum over j >= k of g_j times the product of x_0..x_j
        // without x_k, each product an op of x (no masks), so the second derivative is right at zeros too. O(n^2) ops.
        private static Tensor DifferentiableGradient(Tensor g, Tensor x, int d)
        {
            int size = x.ShapeArray[d];
            if (size <= 1) return Tensor.OnesLike(x) * g;
            var first = (int[])x.ShapeArray.Clone();
            first[d] = 1;
            var parts = new Tensor[size];
            for (int k = 0; k < size; k++)
            {
                var before = k == 0 ? Tensor.Ones(first, x.DType) : x.Narrow(d, 0, k).Prod(d, keepDim: true);
                var omitted = k == size - 1 ? before : Tensor.Concat([before, before * x.Narrow(d, k + 1, size - k - 1).Cumprod(d)], d);
                parts[k] = (g.Narrow(d, k, size - k) * omitted).Sum(d, keepDim: true);
            }
            return Tensor.Concat(parts, d);
        }

        private static Tensor Gradient(Tensor g, Tensor x, Tensor y, int d)
        {
            Tensor beforeZero, firstZero, safeX, zeroAsOne;
            using (Autograd.NoGrad())
            {
                var isZero = x.Eq(0);
                var zerosSoFar = CumsumOp.Apply(isZero, d, reverse: false);
                beforeZero = zerosSoFar.Eq(0);
                firstZero = isZero * zerosSoFar.Eq(1);
            }
            safeX = Tensor.Where(beforeZero, x, Tensor.OnesLike(x));
            zeroAsOne = Tensor.Where(firstZero, Tensor.OnesLike(x), x);
            var zeros = Tensor.ZerosLike(x);
            var regular = Tensor.Where(beforeZero, CumsumOp.Apply(g * y, d, reverse: true) / safeX, zeros);
            var atZero = Tensor.Where(firstZero, CumsumOp.Apply(g * Apply(zeroAsOne, d), d, reverse: true), zeros);
            return regular + atZero;
        }

        private static void Scan<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int size, int inner) where T : INumber<T>
        {
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int start = o * size * inner + i;
                    T running = T.One;
                    for (int j = 0; j < size; j++)
                    {
                        int at = start + j * inner;
                        running *= x[at];
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
        /// The running product along <paramref name="dim"/> (<c>torch.cumprod</c>): element k is the product of elements 0..k.
        /// The gradient is exact where elements are zero, as PyTorch's; it can be differentiated again.
        /// </summary>
        public Tensor Cumprod(int dim)
        {
            int d = Shapes.WrapDim(dim, Math.Max(Rank, 1), Ops.CumprodOp.OpName);
            if (Rank == 0) return Reshape(1).Cumprod(0).Reshape();
            return Ops.CumprodOp.Apply(this, d);
        }
    }
}

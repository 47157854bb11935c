using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// The product over one dimension or all elements, multiplied in order; 1 over an empty dimension. Its gradient is
    /// PyTorch's, exact with zeros: g y / x_i in a line without zeros, and in a line with zeros g times the product of the
    /// elements before x_i and the product of those after it. Written as ops, so it can be differentiated again.
    /// </summary>
    internal sealed class ProdOp : ReductionOp
    {
        public const string OpName = "prod";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("prod({0})", ["prod of the others"], ["{g} * prod of the others"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("all of (3, 4)", () => [Uniform(230, 0.5, 1.5, 3, 4)], x => x[0].Prod()),
            Case("(2, 3, 4) over 1", () => [Uniform(231, 2, 3, 4)], x => x[0].Prod(1)),
            Case("(3, 4) over 1, keepDim, with one and two zeros", () => [Tensor.FromArray(
                new double[] { 0.5, 0, 1.5, -2, 0, 1.2, -0.8, 0, 0.9, 0.3, 1.1, -0.6 }, [3, 4], requiresGrad: true)],
                x => x[0].Prod(1, keepDim: true)),
        ];

        public static Tensor Apply(Tensor x, ReductionLayout layout, bool keepDim)
        {
            var y = Tensor.Empty(layout.ResultShape, x.DType, OpName);
            Compiled.Recording.Launch((x, y, layout.Outer, layout.Size, layout.Inner), static s =>
            {
                switch (s.x.DType)
                {
                    case DType.Float32: Product<float>(s.x.F32, s.y.F32, s.Outer, s.Size, s.Inner); break;
                    case DType.Float64: Product<double>(s.x.F64, s.y.F64, s.Outer, s.Size, s.Inner); break;
                    default: Product<long>(s.x.I64, s.y.I64, s.Outer, s.Size, s.Inner); break;
                }
            });
            int d = layout.Dim;
            return Autograd.Record(y, OpName, [x], g => [Gradient(keepDim ? g : g.Unsqueeze(d), x, keepDim ? y : y.Unsqueeze(d), d)]);
        }

        private static Tensor Gradient(Tensor g, Tensor x, Tensor y, int d)
        {
            int size = x.ShapeArray[d];
            if (size == 0) return Tensor.ZerosLike(x);
            Tensor noZero;
            using (Autograd.NoGrad()) noZero = x.Eq(0).Sum(d, keepDim: true).Eq(0).BroadcastTo(x.ShapeArray);
            var nothing = Tensor.ZerosLike(x);
            var regular = Tensor.Where(noZero, g * y / Tensor.Where(noZero, x, Tensor.OnesLike(x)), nothing);
            // In a line with a zero: g times the products of the elements before and after each one, as ops of x, so that a
            // second derivative sees how the other elements' gradients depend on the zero.
            var reversed = Tensor.FromArray(Enumerable.Range(0, size).Select(i => (long)(size - 1 - i)).ToArray());
            var before = ExclusiveCumprod(x, d);
            var after = ExclusiveCumprod(x.IndexSelect(d, reversed), d).IndexSelect(d, reversed);
            return regular + Tensor.Where(noZero, nothing, g * (before * after));
        }

        // prod_{j < i} x_j along d: the running product of 1, x_0, ..., x_{n-2}.
        private static Tensor ExclusiveCumprod(Tensor x, int d)
        {
            var first = (int[])x.ShapeArray.Clone();
            first[d] = 1;
            int size = x.ShapeArray[d];
            var shifted = Tensor.Concat([Tensor.Ones(first, x.DType), x.Narrow(d, 0, size - 1)], d);
            return shifted.Cumprod(d);
        }

        private static void Product<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int size, int inner) where T : INumber<T>
        {
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    T product = T.One;
                    for (int j = 0; j < size; j++) product *= x[(o * size + j) * inner + i];
                    y[o * inner + i] = product;
                }
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The product of all elements, as a 0-d tensor; 1 for an empty tensor, as in PyTorch.</summary>
        public Tensor Prod() => Flatten().Prod(0);

        /// <summary>
        /// The product over dimension <paramref name="dim"/> (<c>torch.prod</c>); 1 over an empty dimension. The gradient is
        /// exact where elements are zero, as PyTorch's, and can be differentiated again.
        /// </summary>
        public Tensor Prod(int dim, bool keepDim = false)
        {
            if (Rank == 0)
            {
                Shapes.WrapDim(dim, 1, Ops.ProdOp.OpName);
                return Reshape(1).Prod(0, keepDim: false);
            }
            return Ops.ProdOp.Apply(this, ReductionLayoutOf(dim, keepDim, Ops.ProdOp.OpName), keepDim);
        }
    }
}

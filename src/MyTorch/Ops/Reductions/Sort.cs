using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// Sorting along one dimension, stable (equal elements keep their order) with NaN after every number ascending and before
    /// every number descending, as PyTorch's <c>sort(stable=True)</c>. The values' gradient goes back to the sorted positions.
    /// <see cref="TopKOp"/> and <see cref="MedianOp"/> select from the same order.
    /// </summary>
    internal sealed class SortOp : ReductionOp
    {
        public const string OpName = "sort";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("sort({0})", ["1 at each sorted position"], ["{g} put back at the original positions"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) along 1", () => [Distinct(280, 3, 4)], x => x[0].Sort(1).Values),
            Case("(3, 4) along 0, descending", () => [Distinct(281, 3, 4)], x => x[0].Sort(0, descending: true).Values),
        ];

        /// <summary>
        /// The indices (int64) along d of the first <paramref name="k"/> elements in sorted order, or with
        /// <paramref name="median"/> the one index of the lower median (the first NaN in a line that has one).
        /// </summary>
        public static Tensor SortedIndices(Tensor x, int d, bool descending, int k, bool median, string op)
        {
            var shape = (int[])x.ShapeArray.Clone();
            int size = shape[d];
            shape[d] = median ? 1 : k;
            var (outer, inner) = x.OuterInner(d);
            var indices = Tensor.Empty(shape, DType.Int64, op);
            var scratch = Tensor.Empty([2 * size], DType.Int64, op);
            Compiled.Recording.Launch((x, indices, scratch, outer, size, inner, k, descending, median), static s =>
            {
                switch (s.x.DType)
                {
                    case DType.Float32: Select(s.x.F32, s.indices.I64, s.scratch.I64, s.outer, s.size, s.inner, s.k, s.descending, s.median); break;
                    case DType.Float64: Select(s.x.F64, s.indices.I64, s.scratch.I64, s.outer, s.size, s.inner, s.k, s.descending, s.median); break;
                    default: Select(s.x.I64, s.indices.I64, s.scratch.I64, s.outer, s.size, s.inner, s.k, s.descending, s.median); break;
                }
            });
            return indices;
        }

        private static void Select<T>(T[] x, long[] indices, long[] order, int outer, int size, int inner, int k, bool descending, bool median)
            where T : INumber<T>
        {
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int start = o * size * inner + i;
                    var sorted = MergeSort(x, start, inner, descending, order.AsSpan(0, size), order.AsSpan(size, size));
                    if (median)
                    {
                        int numbers = size;
                        while (numbers > 0 && T.IsNaN(x[start + (int)sorted[numbers - 1] * inner])) numbers--;
                        indices[o * inner + i] = sorted[numbers < size ? numbers : (size - 1) / 2];
                        continue;
                    }
                    for (int j = 0; j < k; j++) indices[(o * k + j) * inner + i] = sorted[j];
                }
        }

        // A bottom-up merge sort of one line's indices, stable because a merge takes from the left run on ties; returns the
        // buffer that holds the sorted order. No allocation: the two halves of the scratch tensor alternate.
        private static Span<long> MergeSort<T>(T[] x, int start, int stride, bool descending, Span<long> a, Span<long> b)
            where T : INumber<T>
        {
            for (int j = 0; j < a.Length; j++) a[j] = j;
            for (int width = 1; width < a.Length; width *= 2)
            {
                for (int left = 0; left < a.Length; left += 2 * width)
                {
                    int mid = Math.Min(left + width, a.Length), end = Math.Min(left + 2 * width, a.Length);
                    int p = left, q = mid, w = left;
                    while (p < mid && q < end)
                        b[w++] = Before(x[start + (int)a[q] * stride], x[start + (int)a[p] * stride], descending) ? a[q++] : a[p++];
                    while (p < mid) b[w++] = a[p++];
                    while (q < end) b[w++] = a[q++];
                }
                var swap = a;
                a = b;
                b = swap;
            }
            return a;
        }

        // Whether u sorts strictly before v: NaN is the largest value, so it comes last ascending and first descending.
        private static bool Before<T>(T u, T v, bool descending) where T : INumber<T>
        {
            if (T.IsNaN(u) || T.IsNaN(v)) return descending ? T.IsNaN(u) && !T.IsNaN(v) : T.IsNaN(v) && !T.IsNaN(u);
            return descending ? u > v : u < v;
        }
    }

    /// <summary>The k largest (or smallest) elements along one dimension, in sorted order, from <see cref="SortOp"/>'s stable order.</summary>
    internal sealed class TopKOp : ReductionOp
    {
        public const string OpName = "topk";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("topk({0})", ["1 at each chosen position"], ["{g} put back at the chosen positions"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("2 largest of (3, 4) along 1", () => [Distinct(282, 3, 4)], x => x[0].TopK(2, 1).Values),
            Case("2 smallest of (3, 4) along 0", () => [Distinct(283, 3, 4)], x => x[0].TopK(2, 0, largest: false).Values),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// The elements sorted along <paramref name="dim"/> and, for each, its index (int64) in this tensor: PyTorch's
        /// <c>torch.sort(x, dim, descending, stable=True)</c>. Equal elements keep their order; NaN sorts as the largest.
        /// </summary>
        public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false)
        {
            int d = Shapes.WrapDim(dim, Math.Max(Rank, 1), Ops.SortOp.OpName);
            if (Rank == 0)
            {
                var (values, indices) = Reshape(1).Sort(0, descending);
                return (values.Reshape(), indices.Reshape());
            }
            var order = Ops.SortOp.SortedIndices(this, d, descending, shape[d], median: false, Ops.SortOp.OpName);
            return (Ops.ReductionGatherOp.Apply(this, order, d, Ops.SortOp.OpName), order);
        }

        /// <summary>
        /// The <paramref name="k"/> largest (or, with <paramref name="largest"/> false, smallest) elements along
        /// <paramref name="dim"/> and their indices: PyTorch's <c>torch.topk</c>. They always come in sorted order (what
        /// PyTorch's <paramref name="sorted"/> = true gives; with false PyTorch's order is unspecified), ties in index order.
        /// </summary>
        public (Tensor Values, Tensor Indices) TopK(int k, int dim = -1, bool largest = true, bool sorted = true)
        {
            _ = sorted;
            int d = Shapes.WrapDim(dim, Math.Max(Rank, 1), Ops.TopKOp.OpName);
            int size = Rank == 0 ? 1 : shape[d];
            if (k < 0 || k > size)
                throw new TensorShapeException($"{Ops.TopKOp.OpName}: k = {k} is out of range for dimension {dim} of size {size} (shape {Shapes.Format(shape)}).");
            if (Rank == 0)
            {
                var (values, indices) = Reshape(1).TopK(k, 0, largest);
                return k == 1 ? (values.Reshape(), indices.Reshape()) : (values, indices);
            }
            var chosen = Ops.SortOp.SortedIndices(this, d, descending: largest, k, median: false, Ops.TopKOp.OpName);
            return (Ops.ReductionGatherOp.Apply(this, chosen, d, Ops.TopKOp.OpName), chosen);
        }
    }
}

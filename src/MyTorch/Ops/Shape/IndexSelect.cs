using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>index_select: the slices of one dimension an int64 index lists; the gradient adds g's slices back (index_add).</summary>
    internal sealed class IndexSelectOp : OpDefinition
    {
        public override string Name => "index_select";

        public override OpNotation Notation { get; } = new("{0}[index]", ["1 at the chosen rows"], ["{g} added to the chosen rows"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("index_select", "rows 2, 0, 2 of (3, 4)", () => [ShapeCases.R(41, 3, 4)], x => x[0].IndexSelect(0, Tensor.FromArray(new long[] { 2, 0, 2 }))),
                ShapeCases.Case("index_select", "(2, 4, 3) on 2 with -1", () => [ShapeCases.R(230, 2, 4, 3)], x => x[0].IndexSelect(2, Tensor.FromArray(new long[] { -1, 0 }))),
            ];
    }

    /// <summary>index_select's backward: g's slices added into zeros at the positions the index lists; its own gradient is index_select.</summary>
    internal sealed class IndexSelectBackwardOp : OpDefinition
    {
        public override string Name => "index_select_backward";

        public override OpNotation Notation { get; } = new("index_add({0})", ["1 at the chosen rows"], ["{g} at the chosen rows"], false);
    }

    /// <summary>index_add: slices added into a tensor at the positions an index lists; the gradient of the slices is index_select of g.</summary>
    internal sealed class IndexAddOp : OpDefinition
    {
        public override string Name => "index_add";

        public override OpNotation Notation { get; } = new("index_add({0}, index, {1})", ["1", "1 at the chosen rows"], ["{g}", "{g} at the chosen rows"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("index_add", "(3, 4) on 1 from (3, 3), repeated", () => [ShapeCases.R(231, 3, 4), ShapeCases.R(232, 3, 3)],
                    x => x[0].IndexAdd(1, Tensor.FromArray(new long[] { 3, 0, 3 }), x[1])),
                ShapeCases.Case("index_add", "(4, 2) on 0 from (2, 2)", () => [ShapeCases.R(233, 4, 2), ShapeCases.R(234, 2, 2)],
                    x => x[0].IndexAdd(0, Tensor.FromArray(new long[] { 1, 2 }), x[1])),
            ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// The slices of dimension <paramref name="dim"/> listed in the int64 tensor <paramref name="indices"/>
        /// (for example mini-batch rows: <c>x.IndexSelect(0, batchIndices)</c>). Indices may repeat.
        /// </summary>
        public Tensor IndexSelect(int dim, Tensor indices)
        {
            ArgumentNullException.ThrowIfNull(indices);
            int d = Shapes.WrapDim(dim, Rank, "index_select");
            if (indices.Rank > 1)
                throw new TensorShapeException($"index_select: indices must be 1-D, got shape {Shapes.Format(indices.shape)}.", nameof(indices));
            if (Rank == 0)
            {
                // A 0-d tensor indexes as one element; picking it once gives a 0-d tensor, as in PyTorch.
                var picked = Reshape(1).IndexSelect(0, indices);
                return picked.Count == 1 ? picked.Reshape() : picked;
            }
            var index = new int[indices.Count]; // filled by the launch from the indices' values, which a replay may change
            var outShape = (int[])shape.Clone();
            outShape[d] = index.Length;
            var result = Empty(outShape, DType, "index_select");
            var (outer, inner) = OuterInner(d);
            Compiled.Recording.Check(indices, (indices, shape[d], "index_select", index), ReadIndices);
            Compiled.Recording.Launch((x: this, index, result, outer, inner, size: shape[d]), static s =>
            {
                var (x, index, result, outer, inner, size) = s;
                var source = x.Values;
                var destination = result.Values;
                for (int o = 0; o < outer; o++)
                    for (int j = 0; j < index.Length; j++)
                        System.Array.Copy(source, (o * size + index[j]) * inner, destination, (o * index.Length + j) * inner, inner);
            });
            var x = this;
            return Autograd.Record(result, "index_select", [this], g => [g.IndexAdd(d, index, x.shape[d])], SavedTensors.None);
        }

        /// <summary>
        /// Copies rows order[start..start+count) (indices along dimension 0, already checked by the caller) into
        /// <paramref name="destination"/>, which has this tensor's shape with count rows: IndexSelect without a new tensor,
        /// for loaders that reuse their batches.
        /// </summary>
        internal void CopyRowsTo(int[] order, int start, int count, Tensor destination)
        {
            int inner = shape[0] == 0 ? 0 : Count / shape[0];
            int threads = Math.Min(Kernels.KernelOptions.MaxThreads, (int)((long)count * inner / RowGather.MinElementsPerThread));
            if (threads > 1)
            {
                // Rows scattered over a large data set: each copy waits on memory, so two cores fetch twice as many at once.
                RowGather.Run(storage, destination.storage, order, start, count, inner, threads);
                return;
            }
            RowGather.Copy(storage, destination.storage, order, start, 0, count, inner);
        }

        /// <summary>Copies of picked rows split over the kernel threads; one instance per calling thread.</summary>
        private sealed class RowGather : Kernels.ParallelWork
        {
            public const int MinElementsPerThread = 1 << 15;

            [ThreadStatic]
            private static RowGather? t_instance;

            private Array source = null!, destination = null!;
            private int[] order = null!;
            private int start, count, inner, tasks;

            public static void Run(Array source, Array destination, int[] order, int start, int count, int inner, int tasks)
            {
                var job = t_instance ??= new RowGather();
                (job.source, job.destination, job.order) = (source, destination, order);
                (job.start, job.count, job.inner, job.tasks) = (start, count, inner, tasks);
                try
                {
                    Kernels.WorkerPool.Run(job, tasks, tasks);
                }
                finally
                {
                    (job.source, job.destination, job.order) = (null!, null!, null!); // keep no data set alive
                }
            }

            public static void Copy(Array source, Array destination, int[] order, int start, int from, int to, int inner)
            {
                for (int j = from; j < to; j++)
                    System.Array.Copy(source, order[start + j] * inner, destination, j * inner, inner);
            }

            public override void Execute(int index) =>
                Copy(source, destination, order, start, (int)((long)count * index / tasks), (int)((long)count * (index + 1) / tasks), inner);
        }

        /// <summary>Rows of a tensor picked by index (dimension 0), for mini-batches.</summary>
        public Tensor Rows(int[] indices) => IndexSelect(0, FromArray(indices));

        /// <summary>The inverse of IndexSelect for gradients: slices of this tensor added into zeros at the given positions.</summary>
        private Tensor IndexAdd(int d, int[] index, int size)
        {
            var outShape = (int[])shape.Clone();
            outShape[d] = size;
            var result = Empty(outShape, DType, "index_add");
            var (outer, inner) = OuterInner(d);
            Compiled.Recording.Launch((g: this, index, result, outer, inner, size), static s =>
            {
                var (g, index, result, outer, inner, size) = s;
                if (g.DType == DType.Float32) ShapeKernels.IndexAdd<float>(g.F32, index, result.F32, outer, inner, size);
                else ShapeKernels.IndexAdd<double>(g.F64, index, result.F64, outer, inner, size);
            });
            var indexTensor = FromArray(index);
            return Autograd.Record(result, "index_select_backward", [this], g => [g.IndexSelect(d, indexTensor)]);
        }

        /// <summary>
        /// Public <c>IndexAdd</c>: a copy of this tensor with the slices of <paramref name="source"/> added at the positions
        /// <paramref name="index"/> lists along <paramref name="dim"/> (PyTorch's out-of-place <c>index_add</c>); repeated
        /// indices add up in order, and negative ones count from the end as in <see cref="IndexSelect"/>. The gradient of
        /// this tensor is g; of the source, g's slices at the index.
        /// </summary>
        public Tensor IndexAdd(int dim, Tensor index, Tensor source)
        {
            ArgumentNullException.ThrowIfNull(index);
            ArgumentNullException.ThrowIfNull(source);
            int d = Shapes.WrapDim(dim, Rank, "index_add");
            if (source.DType != DType) ThrowDTypeMismatch("index_add", this, source);
            if (index.Rank > 1)
                throw new TensorShapeException($"index_add: the index must be 1-D, got shape {Shapes.Format(index.shape)}.", nameof(index));
            int size = Rank == 0 ? 1 : shape[d];
            int[] xShape = Rank == 0 ? [1] : shape;
            var expected = (int[])xShape.Clone();
            expected[d] = index.Count;
            int[] sourceShape = source.Rank == 0 ? [1] : source.shape;
            if (!Shapes.Equal(expected, sourceShape))
                throw new TensorShapeException($"index_add: the source {Shapes.Format(source.shape)} must have shape {Shapes.Format(expected)}: " +
                    $"the tensor's {Shapes.Format(shape)} with dimension {dim} the length of the index ({index.Count}).", nameof(source));
            var positions = new int[index.Count]; // filled by the check from the index's values, which a replay may change
            Compiled.Recording.Check(index, (index, size, "index_add", positions), ReadIndices);
            var result = Empty((int[])shape.Clone(), DType, "index_add");
            var (outer, inner) = Rank == 0 ? (1, 1) : OuterInner(d);
            Compiled.Recording.Launch((x: this, source, positions, result, outer, inner, size), static s =>
            {
                System.Array.Copy(s.x.Values, s.result.Values, s.result.Count);
                switch (s.x.DType)
                {
                    case DType.Float32: AddSlices<float>(s.source.F32, s.positions, s.result.F32, s.outer, s.inner, s.size); break;
                    case DType.Float64: AddSlices<double>(s.source.F64, s.positions, s.result.F64, s.outer, s.inner, s.size); break;
                    default: AddSlices<long>(s.source.I64, s.positions, s.result.I64, s.outer, s.inner, s.size); break;
                }
            });
            var src = source;
            return Autograd.Record(result, "index_add", [this, source], g => [
                RequiresGrad ? g : null,
                src.RequiresGrad ? g.IndexSelect(d, index).Reshape(src.shape) : null]);
        }

        private static void AddSlices<T>(ReadOnlySpan<T> source, int[] index, Span<T> destination, int outer, int inner, int size)
            where T : System.Numerics.INumber<T>
        {
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < index.Length; j++)
                {
                    var from = source.Slice((o * index.Length + j) * inner, inner);
                    var to = destination.Slice((o * size + index[j]) * inner, inner);
                    for (int i = 0; i < inner; i++) to[i] += from[i];
                }
            }
        }

        /// <summary>Checks the indices (in [-size, size), whole numbers) and writes them, wrapped, into the state's array.</summary>
        private static readonly Action<(Tensor Indices, int Size, string Op, int[] Index)> ReadIndices = static s =>
            CheckIndices(s.Indices, s.Size, s.Op, s.Index);

        private static void CheckIndices(Tensor indices, int size, string op, int[] index)
        {
            for (int i = 0; i < index.Length; i++)
            {
                double value = indices.GetDouble(i);
                if (value != Math.Floor(value) || value < -size || value >= size)
                    throw new TensorShapeException($"{op}: index {value} at position {i} is out of range for a dimension of size {size}.", nameof(indices));
                index[i] = value < 0 ? (int)value + size : (int)value;
            }
        }
    }
}

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
            [ShapeCases.Case("index_select", "rows 2, 0, 2 of (3, 4)", () => [ShapeCases.R(41, 3, 4)], x => x[0].IndexSelect(0, Tensor.FromArray(new long[] { 2, 0, 2 })))];
    }

    /// <summary>index_add: slices added into a tensor at the positions an index lists; the gradient of the slices is index_select of g.</summary>
    internal sealed class IndexAddOp : OpDefinition
    {
        public override string Name => "index_add";

        public override OpNotation Notation { get; } = new("index_add({0})", ["1 at the chosen rows"], ["{g} at the chosen rows"], false);
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
            var index = new int[indices.Count]; // filled by the launch from the indices' values, which a replay may change
            var outShape = (int[])shape.Clone();
            outShape[d] = index.Length;
            var result = Empty(outShape, DType, "index_select");
            var (outer, inner) = OuterInner(d);
            Compiled.Recording.Launch((x: this, indices, index, result, outer, inner, size: shape[d]), static s =>
            {
                var (x, indices, index, result, outer, inner, size) = s;
                CheckIndices(indices, size, "index_select", index);
                var source = x.Values;
                var destination = result.Values;
                for (int o = 0; o < outer; o++)
                    for (int j = 0; j < index.Length; j++)
                        System.Array.Copy(source, (o * size + index[j]) * inner, destination, (o * index.Length + j) * inner, inner);
            });
            var x = this;
            return Autograd.Record(result, "index_select", [this], g => [g.IndexAdd(d, index, x.shape[d])]);
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
            return Autograd.Record(result, "index_add", [this], g => [g.IndexSelect(d, indexTensor)]);
        }

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

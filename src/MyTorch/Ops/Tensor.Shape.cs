using MyTorch.Kernels;

namespace MyTorch;

// Ops that move elements around without arithmetic: reshape, transpose, broadcast, slice, concatenate, gather rows.
public sealed partial class Tensor
{
    /// <summary>
    /// The same elements with a new shape (one size may be -1, inferred). Shares storage with this tensor.
    /// </summary>
    public Tensor Reshape(params int[] newShape)
    {
        ArgumentNullException.ThrowIfNull(newShape);
        var resolved = (int[])newShape.Clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (inferred >= 0)
                    throw new TensorShapeException($"reshape: only one size can be -1, got {Shapes.Format(newShape)}.", nameof(newShape));
                inferred = i;
            }
            else if (resolved[i] < 0)
            {
                throw new TensorShapeException($"reshape: invalid size {resolved[i]} in {Shapes.Format(newShape)}.", nameof(newShape));
            }
            else
            {
                known *= resolved[i];
            }
        }
        if (inferred >= 0)
        {
            if (known == 0 || Count % known != 0) ThrowReshape(newShape);
            resolved[inferred] = (int)(Count / known);
        }
        else if (known != Count)
        {
            ThrowReshape(newShape);
        }
        var result = AsView(resolved);
        var x = this;
        return Autograd.Record(result, "reshape", [this], g => [g.Reshape(x.shape)]);
    }

    private void ThrowReshape(int[] newShape) =>
        throw new TensorShapeException(
            $"reshape: cannot view shape {Shapes.Format(shape)} ({Count} elements) as {Shapes.Format(newShape)}.", nameof(newShape));

    /// <summary>All dimensions from <paramref name="startDim"/> on merged into one (a 1-D tensor by default).</summary>
    public Tensor Flatten(int startDim = 0)
    {
        if (Rank == 0) return Reshape(1);
        startDim = Shapes.WrapDim(startDim, Rank, "flatten");
        var newShape = new int[startDim + 1];
        Array.Copy(shape, newShape, startDim);
        newShape[startDim] = -1;
        return Count == 0 ? Reshape(Flat(startDim)) : Reshape(newShape);
    }

    private int[] Flat(int startDim)
    {
        var newShape = new int[startDim + 1];
        Array.Copy(shape, newShape, startDim);
        int tail = 1;
        for (int d = startDim; d < Rank; d++) tail *= shape[d];
        newShape[startDim] = tail;
        return newShape;
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int wrapped = dim < 0 ? dim + Rank + 1 : dim;
        if (wrapped < 0 || wrapped > Rank) Shapes.ThrowBadDim("unsqueeze", dim, Rank + 1);
        var newShape = new List<int>(shape);
        newShape.Insert(wrapped, 1);
        return Reshape(newShape.ToArray());
    }

    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1 (otherwise returns the tensor unchanged, as PyTorch does).</summary>
    public Tensor Squeeze(int dim)
    {
        if (Rank == 0) return this;
        int wrapped = Shapes.WrapDim(dim, Rank, "squeeze");
        if (shape[wrapped] != 1) return this;
        var newShape = new List<int>(shape);
        newShape.RemoveAt(wrapped);
        return Reshape(newShape.ToArray());
    }

    /// <summary>Reorders the dimensions: output dimension i is input dimension <paramref name="dims"/>[i].</summary>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Rank)
            throw new TensorShapeException($"permute: {dims.Length} dimensions given for a tensor of shape {Shapes.Format(shape)}.", nameof(dims));
        var wrapped = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            wrapped[i] = Shapes.WrapDim(dims[i], Rank, "permute");
            if (seen[wrapped[i]])
                throw new TensorShapeException($"permute: dimension {dims[i]} appears twice in {Shapes.Format(dims)}.", nameof(dims));
            seen[wrapped[i]] = true;
        }
        var outShape = new int[Rank];
        for (int i = 0; i < Rank; i++) outShape[i] = shape[wrapped[i]];
        var result = Empty(outShape, DType, "permute");
        Compiled.Recording.Launch((x: this, wrapped, result), static s =>
        {
            var (x, dims, result) = s;
            switch (x.DType)
            {
                case DType.Float32: ShapeKernels.Permute<float>(x.F32, x.shape, dims, result.F32); break;
                case DType.Float64: ShapeKernels.Permute<double>(x.F64, x.shape, dims, result.F64); break;
                default: ShapeKernels.Permute<long>(x.I64, x.shape, dims, result.I64); break;
            }
        });
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) inverse[wrapped[i]] = i;
        return Autograd.Record(result, "permute", [this], g => [g.Permute(inverse)]);
    }

    /// <summary>Swaps two dimensions (a copy; the last two by default).</summary>
    public Tensor Transpose(int dim0 = -2, int dim1 = -1)
    {
        if (Rank < 2)
            throw new TensorShapeException($"transpose: needs at least 2 dimensions, got shape {Shapes.Format(shape)}.");
        var dims = new int[Rank];
        for (int i = 0; i < Rank; i++) dims[i] = i;
        int a = Shapes.WrapDim(dim0, Rank, "transpose"), b = Shapes.WrapDim(dim1, Rank, "transpose");
        (dims[a], dims[b]) = (dims[b], dims[a]);
        return Permute(dims);
    }

    /// <summary>The transpose of a matrix (the last two dimensions swapped).</summary>
    public Tensor T => Transpose();

    /// <summary>A copy expanded to <paramref name="target"/> by NumPy broadcasting. Its gradient sums back to this shape.</summary>
    public Tensor BroadcastTo(params int[] target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var outShape = Shapes.Broadcast(shape, target, "broadcast_to");
        if (!Shapes.Equal(outShape, target))
            throw new TensorShapeException($"broadcast_to: shape {Shapes.Format(shape)} cannot be broadcast to {Shapes.Format(target)}.", nameof(target));
        if (Shapes.Equal(shape, target)) return this;
        var result = Empty((int[])target.Clone(), DType, "broadcast_to");
        Compiled.Recording.Launch((x: this, result), static s =>
        {
            var (x, result) = s;
            // The second operand is an unused 0-d zero, on the stack.
            switch (x.DType)
            {
                case DType.Float32: Broadcasting.Run<float, CopyKernel>(x.F32, x.shape, stackalloc float[1], [], result.F32, result.shape); break;
                case DType.Float64: Broadcasting.Run<double, CopyKernel>(x.F64, x.shape, stackalloc double[1], [], result.F64, result.shape); break;
                default: Broadcasting.Run<long, CopyKernel>(x.I64, x.shape, stackalloc long[1], [], result.I64, result.shape); break;
            }
        });
        var x = this;
        return Autograd.Record(result, "broadcast_to", [this], g => [g.SumTo(x.shape)]);
    }

    /// <summary>Elements <paramref name="start"/> .. start + <paramref name="length"/> - 1 along <paramref name="dim"/> (a copy).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = Shapes.WrapDim(dim, Rank, "narrow");
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new TensorShapeException(
                $"narrow: range start {start}, length {length} does not fit dimension {dim} of size {shape[d]} (shape {Shapes.Format(shape)}).");
        var outShape = (int[])shape.Clone();
        outShape[d] = length;
        var result = Empty(outShape, DType, "narrow");
        var (outer, inner) = OuterInner(d);
        Compiled.Recording.Launch((x: this, outer, stride: shape[d] * inner, offset: start * inner, result, block: length * inner), static s =>
            CopyBlocks(s.x, s.outer, s.stride, s.offset, s.result, s.block, 0, s.block));
        var x = this;
        return Autograd.Record(result, "narrow", [this], g =>
        {
            var parts = new List<Tensor>(3);
            var before = (int[])x.shape.Clone(); before[d] = start;
            var after = (int[])x.shape.Clone(); after[d] = x.shape[d] - start - length;
            if (start > 0) parts.Add(Zeros(before, g.DType));
            parts.Add(g);
            if (after[d] > 0) parts.Add(Zeros(after, g.DType));
            return [parts.Count == 1 ? g : Concat(parts, d)];
        });
    }

    /// <summary>Joins tensors along an existing dimension; all other sizes must match.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("concat: needs at least one tensor.", nameof(tensors));
        var first = tensors[0];
        int d = Shapes.WrapDim(dim, first.Rank, "concat");
        var outShape = (int[])first.shape.Clone();
        outShape[d] = 0;
        foreach (var t in tensors)
        {
            bool compatible = t.Rank == first.Rank && t.DType == first.DType;
            for (int i = 0; compatible && i < t.Rank; i++) compatible = i == d || t.shape[i] == first.shape[i];
            if (!compatible)
                throw new TensorShapeException(
                    $"concat: along dimension {dim}, shapes must match elsewhere and dtypes agree: got {string.Join(" and ", tensors.Select(x => Shapes.Format(x.shape) + " " + x.DType.Name()))}.",
                    nameof(tensors));
            outShape[d] += t.shape[d];
        }
        var result = Empty(outShape, first.DType, "concat");
        var (outer, inner) = result.OuterInner(d);
        var inputs = tensors.ToArray();
        Compiled.Recording.Launch((inputs, result, outer, inner, d), static s =>
        {
            var (inputs, result, outer, inner, d) = s;
            int offset = 0;
            foreach (var t in inputs)
            {
                int block = t.shape[d] * inner;
                CopyBlocks(t, outer, block, 0, result, result.shape[d] * inner, offset, block);
                offset += block;
            }
        });
        return Autograd.Record(result, "concat", inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            int start = 0;
            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i].RequiresGrad) grads[i] = g.Narrow(d, start, inputs[i].shape[d]);
                start += inputs[i].shape[d];
            }
            return grads;
        });
    }

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

    /// <summary>The number of elements before dimension <paramref name="d"/> and after it, for (outer, length, inner) views.</summary>
    internal (int Outer, int Inner) OuterInner(int d)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= shape[i];
        return (outer, inner);
    }

    private static void CopyBlocks(Tensor source, int outer, int sourceStride, int sourceOffset, Tensor destination, int destinationStride,
        int destinationOffset, int block)
    {
        var from = source.Values;
        var to = destination.Values;
        for (int o = 0; o < outer; o++)
            System.Array.Copy(from, o * sourceStride + sourceOffset, to, o * destinationStride + destinationOffset, block);
    }
}

using System.Globalization;

namespace MyTorch
{
    /// <summary>
    /// One entry of a tensor index, <c>x[...]</c>: an integer (negative from the end, the dimension removed), a slice
    /// (a C# range such as <c>1..^1</c>, or <see cref="Slice(int?, int?, int)"/> with a step), <see cref="NewAxis"/>,
    /// <see cref="Ellipsis"/>, an int64 index tensor, or a 0/1 mask. Integers, <see cref="System.Index"/> values, ranges and
    /// tensors convert implicitly, so <c>x[0, .., ^1]</c> and <c>x[mask]</c> read as in Python.
    /// </summary>
    /// <remarks>
    /// A tensor converts to an index by its dtype: int64 selects those positions (PyTorch's integer-tensor indexing), any
    /// other dtype is a mask (MyTorch's comparisons give 0/1 masks in the operands' dtype where PyTorch gives bool).
    /// <see cref="Mask"/> and <see cref="Indices"/> say which explicitly.
    /// </remarks>
    public readonly struct TensorIndex : IEquatable<TensorIndex>
    {
        internal enum IndexKind { Position, Slice, NewAxis, Ellipsis, Indices, Mask }

        internal IndexKind Kind { get; }
        internal int Value { get; }
        internal Index? Start { get; }
        internal Index? Stop { get; }
        internal int Step { get; }
        internal Tensor? Tensor { get; }

        private TensorIndex(IndexKind kind, int value = 0, Index? start = null, Index? stop = null, int step = 1, Tensor? tensor = null)
        {
            Kind = kind;
            Value = value;
            Start = start;
            Stop = stop;
            Step = step;
            Tensor = tensor;
        }

        /// <summary>Position <paramref name="index"/> of the dimension (negative counts from the end); the dimension is removed.</summary>
        public static TensorIndex Position(int index) => new(IndexKind.Position, index);

        /// <summary>
        /// Python's <c>start:stop:step</c>: null for an omitted bound, negative bounds count from the end, out-of-range bounds
        /// are clamped, and <paramref name="step"/> is positive (as in PyTorch). <c>Slice(1, -1)</c> is <c>1..^1</c>.
        /// </summary>
        public static TensorIndex Slice(int? start = null, int? stop = null, int step = 1) =>
            new(IndexKind.Slice, start: ToIndex(start), stop: ToIndex(stop), step: step);

        /// <summary>A C# range with a step: <c>TensorIndex.Slice(1..^1, 2)</c> is Python's <c>1:-1:2</c>.</summary>
        public static TensorIndex Slice(Range range, int step = 1) => new(IndexKind.Slice, start: range.Start, stop: range.End, step: step);

        /// <summary>A new dimension of size 1 (Python's <c>None</c>).</summary>
        public static TensorIndex NewAxis => new(IndexKind.NewAxis);

        /// <summary>As many full slices as the dimensions the other entries leave (Python's <c>...</c>).</summary>
        public static TensorIndex Ellipsis => new(IndexKind.Ellipsis);

        /// <summary>The positions an int64 tensor lists along one dimension, which becomes the index's shape.</summary>
        public static TensorIndex Indices(Tensor indices)
        {
            ArgumentNullException.ThrowIfNull(indices);
            if (indices.DType != DType.Int64)
                throw new TensorShapeException($"index: an index tensor must be int64, got {indices.DType.Name()}; use TensorIndex.Mask for a 0/1 mask.", nameof(indices));
            return new(IndexKind.Indices, tensor: indices);
        }

        /// <summary>The elements where <paramref name="mask"/> is non-zero, over as many dimensions as it has: they become one dimension.</summary>
        public static TensorIndex Mask(Tensor mask)
        {
            ArgumentNullException.ThrowIfNull(mask);
            return new(IndexKind.Mask, tensor: mask);
        }

        /// <summary>An integer index.</summary>
        public static implicit operator TensorIndex(int index) => Position(index);

        /// <summary>An index from the start or, as <c>^k</c>, from the end.</summary>
        public static implicit operator TensorIndex(Index index) => Position(index.IsFromEnd ? -index.Value : index.Value);

        /// <summary>A slice with step 1: <c>..</c>, <c>1..</c>, <c>..^1</c>, <c>1..^1</c>.</summary>
        public static implicit operator TensorIndex(Range range) => Slice(range);

        /// <summary>An int64 tensor of positions, or a mask for any other dtype.</summary>
        public static implicit operator TensorIndex(Tensor tensor)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            return tensor.DType == DType.Int64 ? Indices(tensor) : Mask(tensor);
        }

        /// <summary>The same conversion as the implicit one from int.</summary>
        public static TensorIndex FromInt32(int index) => Position(index);

        /// <summary>The same conversion as the implicit one from <see cref="System.Index"/>.</summary>
        public static TensorIndex FromIndex(Index index) => index;

        /// <summary>The same conversion as the implicit one from <see cref="System.Range"/>.</summary>
        public static TensorIndex FromRange(Range range) => range;

        /// <summary>The same conversion as the implicit one from a tensor.</summary>
        public static TensorIndex FromTensor(Tensor tensor) => tensor;

        private static Index? ToIndex(int? bound) => bound is not int b ? null : b < 0 ? Index.FromEnd(-b) : Index.FromStart(b);

        /// <summary>The entry as Python writes it: <c>1</c>, <c>1:-1:2</c>, <c>None</c>, <c>...</c>, <c>tensor</c>, <c>mask</c>.</summary>
        public override string ToString() => Kind switch
        {
            IndexKind.Position => Value.ToString(CultureInfo.InvariantCulture),
            IndexKind.Slice => $"{Bound(Start)}:{Bound(Stop)}{(Step == 1 ? "" : ":" + Step.ToString(CultureInfo.InvariantCulture))}",
            IndexKind.NewAxis => "None",
            IndexKind.Ellipsis => "...",
            IndexKind.Indices => $"index{Shapes.Format(Tensor!.Shape)}",
            _ => $"mask{Shapes.Format(Tensor!.Shape)}",
        };

        private static string Bound(Index? bound) => bound is not Index b ? "" :
            b.IsFromEnd ? (b.Value == 0 ? "end" : "-" + b.Value.ToString(CultureInfo.InvariantCulture)) : b.Value.ToString(CultureInfo.InvariantCulture);

        /// <inheritdoc/>
        public bool Equals(TensorIndex other) =>
            Kind == other.Kind && Value == other.Value && Start.Equals(other.Start) && Stop.Equals(other.Stop) && Step == other.Step &&
            ReferenceEquals(Tensor, other.Tensor);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is TensorIndex other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCode.Combine(Kind, Value, Start, Stop, Step, Tensor);

        /// <summary>Whether two entries are the same.</summary>
        public static bool operator ==(TensorIndex left, TensorIndex right) => left.Equals(right);

        /// <summary>Whether two entries differ.</summary>
        public static bool operator !=(TensorIndex left, TensorIndex right) => !left.Equals(right);
    }

    public sealed partial class Tensor
    {
        /// <summary>
        /// Python-style indexing, as PyTorch's <c>x[...]</c>, built from differentiable ops: <c>x[1]</c> (a dimension removed),
        /// <c>x[^1]</c> or <c>x[-1]</c> (the last), <c>x[1..^1]</c> and <c>x[TensorIndex.Slice(0, null, 2)]</c> (slices),
        /// <c>x[TensorIndex.Ellipsis, 0]</c>, <c>x[TensorIndex.NewAxis]</c>, <c>x[indices]</c> (an int64 tensor) and
        /// <c>x[mask]</c> (a 0/1 mask: the selected elements as one dimension; the gradient is scattered back). The result is
        /// a copy (PyTorch returns a view for integers and slices).
        /// </summary>
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1043", Justification = "Python-style indexing takes ranges, masks and tensors.")]
        [System.Runtime.CompilerServices.IndexerName("Subscript")] // Item is the method that reads a one-element tensor
        public Tensor this[params TensorIndex[] indices] => Index(indices);

        private Tensor Index(TensorIndex[] indices)
        {
            ArgumentNullException.ThrowIfNull(indices);
            int consumed = 0, ellipses = 0, tensors = 0;
            foreach (var index in indices)
            {
                switch (index.Kind)
                {
                    case TensorIndex.IndexKind.Ellipsis: ellipses++; break;
                    case TensorIndex.IndexKind.NewAxis: break;
                    case TensorIndex.IndexKind.Mask:
                        consumed += index.Tensor!.Rank;
                        tensors++;
                        break;
                    case TensorIndex.IndexKind.Indices:
                        consumed++;
                        tensors++;
                        break;
                    default: consumed++; break;
                }
            }
            if (ellipses > 1) throw new TensorShapeException($"index: at most one ellipsis, got [{string.Join(", ", indices)}].", nameof(indices));
            // PyTorch broadcasts several tensor indices together; one is what MyTorch supports, rather than a different meaning.
            if (tensors > 1)
                throw new TensorShapeException($"index: at most one tensor index (int64 positions or a mask), got [{string.Join(", ", indices)}].", nameof(indices));
            if (consumed > Rank)
                throw new TensorShapeException(
                    $"index: too many indices for a tensor of shape {Shapes.Format(shape)}: [{string.Join(", ", indices)}] index {consumed} dimension(s).", nameof(indices));
            var result = this;
            int d = 0, source = 0; // the dimension of the result being indexed, and of this tensor (for messages)
            foreach (var index in indices)
            {
                switch (index.Kind)
                {
                    case TensorIndex.IndexKind.Ellipsis:
                        d += Rank - consumed;
                        source += Rank - consumed;
                        break;
                    case TensorIndex.IndexKind.NewAxis: result = result.Unsqueeze(d++); break;
                    case TensorIndex.IndexKind.Position: result = result.SelectAt(d, index.Value, source++, shape); break;
                    case TensorIndex.IndexKind.Slice:
                        result = result.SliceAt(d++, index);
                        source++;
                        break;
                    case TensorIndex.IndexKind.Indices:
                        result = result.TakeAt(d, index.Tensor!);
                        d += index.Tensor!.Rank;
                        source++;
                        break;
                    default:
                        result = result.MaskAt(d++, index.Tensor!, source, shape);
                        source += index.Tensor!.Rank;
                        break;
                }
            }
            // x[...] and x[] are copies, like every other index.
            return ReferenceEquals(result, this) ? Clone() : result;
        }

        private Tensor SelectAt(int d, int index, int sourceDim, int[] sourceShape)
        {
            int size = shape[d];
            int i = index < 0 ? index + size : index;
            if (i < 0 || i >= size)
                throw new TensorShapeException($"index: index {index} is out of range for dimension {sourceDim} of size {size} " +
                    $"(expected {-size} to {size - 1}; shape {Shapes.Format(sourceShape)}).", nameof(index));
            var removed = new int[Rank - 1];
            for (int k = 0, j = 0; k < Rank; k++)
                if (k != d) removed[j++] = shape[k];
            return Narrow(d, i, 1).Reshape(removed);
        }

        private Tensor SliceAt(int d, TensorIndex slice)
        {
            if (slice.Step <= 0)
                throw new TensorShapeException($"index: the step of {slice} must be positive (as in PyTorch), got {slice.Step}.", nameof(slice));
            int size = shape[d];
            int Resolve(Index? bound, int missing)
            {
                if (bound is not Index b) return missing;
                long offset = b.IsFromEnd ? (long)size - b.Value : b.Value;
                return (int)Math.Clamp(offset, 0, size);
            }
            int start = Resolve(slice.Start, 0), stop = Resolve(slice.Stop, size);
            int count = stop > start ? (stop - start + slice.Step - 1) / slice.Step : 0;
            if (slice.Step == 1 || count <= 1) return Narrow(d, start, count);
            var positions = new long[count];
            for (int i = 0; i < count; i++) positions[i] = start + (long)i * slice.Step;
            return IndexSelect(d, FromArray(positions));
        }

        private Tensor TakeAt(int d, Tensor indices)
        {
            var picked = IndexSelect(d, indices.Rank == 1 ? indices : indices.Reshape(-1));
            if (indices.Rank == 1) return picked;
            int[] newShape = [.. shape[..d], .. indices.shape, .. shape[(d + 1)..]];
            return picked.Reshape(newShape);
        }

        private Tensor MaskAt(int d, Tensor mask, int sourceDim, int[] sourceShape)
        {
            int k = mask.Rank;
            // A 0-d mask adds a dimension of size 1 (true) or 0 (false), as in NumPy.
            var source = k == 0 ? Unsqueeze(d) : this;
            if (k > 0 && !Shapes.Equal(mask.shape, shape.AsSpan(d, k)))
                throw new TensorShapeException(
                    $"index: the mask {Shapes.Format(mask.shape)} does not match dimensions {sourceDim} to {sourceDim + k - 1} of the tensor {Shapes.Format(sourceShape)}.",
                    nameof(mask));
            // The result's shape depends on the mask's values, so they are read here: a recorded plan refuses such a step.
            var values = mask.ToArray<double>();
            var positions = new List<long>();
            for (int i = 0; i < values.Length; i++)
                if (values[i] != 0) positions.Add(i);
            if (k > 1)
            {
                int[] merged = [.. shape[..d], -1, .. shape[(d + k)..]];
                if (Count == 0) merged[d] = values.Length;
                source = Reshape(merged);
            }
            return source.IndexSelect(d, FromArray(positions.ToArray()));
        }
    }
}

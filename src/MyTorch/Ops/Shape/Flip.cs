using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// flip: elements reversed along dimensions, by one strided copy; its gradient is g flipped back. roll is built from
    /// <see cref="Tensor.Narrow"/> and <see cref="Tensor.Concat"/>, so its gradient is g rolled back by those ops.
    /// </summary>
    internal sealed class FlipOp : OpDefinition
    {
        public override string Name => "flip";

        public override OpNotation Notation { get; } = new("flip({0})", ["1 (values reversed)"], ["{g} reversed back"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("flip", "(2, 3, 4) on 0 and -1", () => [ShapeCases.R(213, 2, 3, 4)], x => x[0].Flip(0, -1)),
                ShapeCases.Case("roll", "(3, 4) by 1 and -3 on 0 and 1", () => [ShapeCases.R(214, 3, 4)], x => x[0].Roll([1, -3], [0, 1])),
                ShapeCases.Case("roll", "(2, 3) flattened by 4", () => [ShapeCases.R(215, 2, 3)], x => x[0].Roll([4], [])),
            ];

        /// <summary>destination = source with the dimensions marked in <paramref name="flipped"/> reversed: a walk with negative strides.</summary>
        public static void Run<T>(ReadOnlySpan<T> source, int[] shape, bool[] flipped, Span<T> destination)
        {
            int rank = shape.Length;
            if (destination.IsEmpty) return;
            Span<int> strides = stackalloc int[rank];
            Span<int> counter = stackalloc int[rank];
            counter.Clear();
            int offset = 0;
            for (int d = rank - 1, stride = 1; d >= 0; d--)
            {
                strides[d] = flipped[d] ? -stride : stride;
                if (flipped[d]) offset += (shape[d] - 1) * stride;
                stride *= shape[d];
            }
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = source[offset];
                for (int k = rank - 1; k >= 0; k--)
                {
                    offset += strides[k];
                    if (++counter[k] < shape[k]) break;
                    offset -= strides[k] * shape[k];
                    counter[k] = 0;
                }
            }
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The order of the elements reversed along each of <paramref name="dims"/> (a copy), as PyTorch's <c>flip</c>. The gradient is g flipped back.</summary>
        public Tensor Flip(params int[] dims)
        {
            ArgumentNullException.ThrowIfNull(dims);
            var wrapped = WrapDistinct(dims, "flip");
            var flipped = new bool[Rank];
            foreach (int d in wrapped)
                if (Rank > 0) flipped[d] = true;
            var result = Empty((int[])shape.Clone(), DType, "flip");
            Compiled.Recording.Launch((x: this, flipped, result), static s =>
            {
                switch (s.x.DType)
                {
                    case DType.Float32: Ops.FlipOp.Run<float>(s.x.F32, s.x.shape, s.flipped, s.result.F32); break;
                    case DType.Float64: Ops.FlipOp.Run<double>(s.x.F64, s.x.shape, s.flipped, s.result.F64); break;
                    default: Ops.FlipOp.Run<long>(s.x.I64, s.x.shape, s.flipped, s.result.I64); break;
                }
            });
            var again = (int[])dims.Clone();
            return Autograd.Record(result, "flip", [this], g => [g.Flip(again)], SavedTensors.None);
        }

        /// <summary>
        /// The elements shifted by <paramref name="shifts"/>[i] along <paramref name="dims"/>[i], those pushed past the end
        /// coming back at the start, as PyTorch's <c>roll</c>. With no dims, the flattened tensor rolls by the one shift.
        /// </summary>
        public Tensor Roll(int[] shifts, int[] dims)
        {
            ArgumentNullException.ThrowIfNull(shifts);
            ArgumentNullException.ThrowIfNull(dims);
            if (dims.Length == 0)
            {
                if (shifts.Length != 1)
                    throw new TensorShapeException($"roll: without dims, give one shift (for the flattened tensor), got {Shapes.Format(shifts)}.", nameof(shifts));
                return Flatten().Roll(shifts, [0]).Reshape(shape);
            }
            if (shifts.Length != dims.Length)
                throw new TensorShapeException($"roll: {shifts.Length} shifts for {dims.Length} dims ({Shapes.Format(shifts)} and {Shapes.Format(dims)}).", nameof(shifts));
            if (Rank == 0)
            {
                foreach (int dim in dims) Shapes.WrapDim(dim, 0, "roll");
                return Clone();
            }
            var result = this;
            for (int i = 0; i < dims.Length; i++)
            {
                int d = Shapes.WrapDim(dims[i], Rank, "roll");
                int size = shape[d];
                int shift = size == 0 ? 0 : (int)(((long)shifts[i] % size + size) % size);
                if (shift == 0) continue;
                result = Concat([result.Narrow(d, size - shift, shift), result.Narrow(d, 0, size - shift)], d);
            }
            return ReferenceEquals(result, this) ? Clone() : result;
        }

        /// <summary>The dimensions wrapped, each at most once.</summary>
        private int[] WrapDistinct(int[] dims, string op)
        {
            var wrapped = new int[dims.Length];
            for (int i = 0; i < dims.Length; i++)
            {
                wrapped[i] = Shapes.WrapDim(dims[i], Rank, op);
                for (int j = 0; j < i; j++)
                    if (wrapped[j] == wrapped[i])
                        throw new TensorShapeException($"{op}: dimension {dims[i]} appears twice in {Shapes.Format(dims)}.", nameof(dims));
            }
            return wrapped;
        }
    }
}

using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// flip and roll: elements reordered along dimensions, built from <see cref="Tensor.IndexSelect"/> (flip) and
    /// <see cref="Tensor.Narrow"/> with <see cref="Tensor.Concat"/> (roll), so the gradient is g moved back.
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
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The order of the elements reversed along each of <paramref name="dims"/> (a copy), as PyTorch's <c>flip</c>.</summary>
        public Tensor Flip(params int[] dims)
        {
            ArgumentNullException.ThrowIfNull(dims);
            var wrapped = WrapDistinct(dims, "flip");
            if (Rank == 0) return Clone();
            var result = this;
            foreach (int d in wrapped)
            {
                int size = shape[d];
                var reversed = new long[size];
                for (int i = 0; i < size; i++) reversed[i] = size - 1 - i;
                result = result.IndexSelect(d, FromArray(reversed));
            }
            return ReferenceEquals(result, this) ? Clone() : result;
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

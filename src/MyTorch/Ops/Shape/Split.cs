using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// split and chunk: one dimension cut into consecutive pieces, each a <see cref="Tensor.Narrow"/>, so each piece's
    /// gradient is placed back in its slice.
    /// </summary>
    internal sealed class SplitOp : OpDefinition
    {
        public override string Name => "split";

        public override OpNotation Notation { get; } = new("split({0})", ["1 inside each piece"], ["each piece's {g} placed in its slice"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                // The pieces joined in another order, so every piece's gradient lands in its own slice.
                ShapeCases.Case("split", "(5, 3) in pieces of 2 on 0", () => [ShapeCases.R(210, 5, 3)], x => Tensor.Concat([.. x[0].Split(2, 0).Reverse()], 0)),
                ShapeCases.Case("split", "(3, 6) in sizes 1, 0, 5 on -1", () => [ShapeCases.R(211, 3, 6)], x => Tensor.Concat([.. x[0].Split([1, 0, 5], -1).Reverse()], 1)),
                ShapeCases.Case("chunk", "(2, 7) in 3 on 1", () => [ShapeCases.R(212, 2, 7)], x => Tensor.Concat([.. x[0].Chunk(3, 1).Reverse()], 1)),
            ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Dimension <paramref name="dim"/> cut into pieces of <paramref name="splitSize"/> (the last one smaller when the size
        /// does not divide), as PyTorch's <c>split</c>. An empty dimension gives one empty piece.
        /// </summary>
        public Tensor[] Split(int splitSize, int dim = 0)
        {
            int d = SplitDim(dim, "split");
            int size = shape[d];
            if (splitSize < 0 || (splitSize == 0 && size > 0))
                throw new TensorShapeException($"split: split size {splitSize} must be positive for dimension {dim} of size {size}.", nameof(splitSize));
            int pieces = size == 0 ? 1 : (size + splitSize - 1) / splitSize;
            var sizes = new int[pieces];
            for (int i = 0; i < pieces; i++) sizes[i] = Math.Min(splitSize, size - i * splitSize);
            return SplitSizes(d, sizes);
        }

        /// <summary>Dimension <paramref name="dim"/> cut into pieces of the given sizes, which must add up to its size (PyTorch's <c>split</c> with a list).</summary>
        public Tensor[] Split(int[] sizes, int dim = 0)
        {
            ArgumentNullException.ThrowIfNull(sizes);
            int d = SplitDim(dim, "split");
            long total = 0;
            foreach (int s in sizes)
            {
                if (s < 0) throw new TensorShapeException($"split: sizes {Shapes.Format(sizes)} has a negative size.", nameof(sizes));
                total += s;
            }
            if (total != shape[d])
                throw new TensorShapeException(
                    $"split: sizes {Shapes.Format(sizes)} add up to {total}, but dimension {dim} has size {shape[d]} (shape {Shapes.Format(shape)}).", nameof(sizes));
            return SplitSizes(d, sizes);
        }

        /// <summary>
        /// Dimension <paramref name="dim"/> cut into at most <paramref name="chunks"/> pieces of ceil(size / chunks), as
        /// PyTorch's <c>chunk</c>: fewer pieces when the last ones would be empty (size 6 in 4 chunks gives 2, 2, 2), and
        /// <paramref name="chunks"/> empty pieces for an empty dimension.
        /// </summary>
        public Tensor[] Chunk(int chunks, int dim = 0)
        {
            if (chunks <= 0) throw new TensorShapeException($"chunk: the number of chunks must be positive, got {chunks}.", nameof(chunks));
            int d = SplitDim(dim, "chunk");
            int size = shape[d];
            if (size == 0) return SplitSizes(d, new int[chunks]);
            return Split((size + chunks - 1) / chunks, d);
        }

        private int SplitDim(int dim, string op)
        {
            if (Rank == 0) throw new TensorShapeException($"{op}: cannot split a 0-d tensor (as in PyTorch).");
            return Shapes.WrapDim(dim, Rank, op);
        }

        private Tensor[] SplitSizes(int d, int[] sizes)
        {
            var pieces = new Tensor[sizes.Length];
            int start = 0;
            for (int i = 0; i < sizes.Length; i++)
            {
                pieces[i] = Narrow(d, start, sizes[i]);
                start += sizes[i];
            }
            return pieces;
        }
    }
}

using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// permute: the dimensions reordered (a copy); transpose and T are permutations. The gradient is g permuted back by
    /// the inverse permutation.
    /// </summary>
    internal sealed class PermuteOp : OpDefinition
    {
        public override string Name => "permute";

        public override OpNotation Notation { get; } = new("permute({0})", ["1 (values moved)"], ["{g} permuted back"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                yield return ShapeCases.Case("transpose", "(3, 4)", () => [ShapeCases.R(30, 3, 4)], x => x[0].T * ShapeCases.R(31, 4, 3).Detach());
                yield return ShapeCases.Case("permute", "(2, 3, 4) to (2, 0, 1)", () => [ShapeCases.R(32, 2, 3, 4)], x => x[0].Permute(2, 0, 1));
                yield return ShapeCases.Case("permute", "(2, 3, 4) to (-1, 0, -2)", () => [ShapeCases.R(200, 2, 3, 4)], x => x[0].Permute(-1, 0, -2));
                yield return ShapeCases.Case("T", "(2, 3, 4): all dimensions reversed", () => [ShapeCases.R(201, 2, 3, 4)], x => x[0].T);
                yield return ShapeCases.Case("mT", "(2, 3, 4): the last two swapped", () => [ShapeCases.R(202, 2, 3, 4)], x => x[0].mT);
            }
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
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
            return Autograd.Record(result, "permute", [this], g => [g.Permute(inverse)], SavedTensors.None);
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

        /// <summary>
        /// All dimensions reversed, as PyTorch 1.13's <c>T</c>: the transpose of a matrix, the tensor itself for 0-d and 1-D,
        /// and dimensions (n-1, ..., 0) for more (PyTorch deprecates that use; <see cref="mT"/> swaps only the last two).
        /// </summary>
        public Tensor T
        {
            get
            {
                if (Rank < 2) return this;
                if (Rank == 2) return Transpose();
                var reversed = new int[Rank];
                for (int i = 0; i < Rank; i++) reversed[i] = Rank - 1 - i;
                return Permute(reversed);
            }
        }

        /// <summary>The last two dimensions swapped (a batch of matrices transposed), as PyTorch's <c>mT</c>.</summary>
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "PyTorch's name.")]
        public Tensor mT
        {
            get
            {
                if (Rank < 2)
                    throw new TensorShapeException($"mT: needs at least 2 dimensions, got shape {Shapes.Format(shape)}.");
                return Transpose(-2, -1);
            }
        }
    }
}

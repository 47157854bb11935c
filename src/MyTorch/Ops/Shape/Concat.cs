using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>concat (PyTorch's <c>cat</c>): tensors joined along a dimension; each input's gradient is its block of g.</summary>
    internal sealed class ConcatOp : OpDefinition
    {
        public override string Name => "concat";

        public override OpNotation Notation { get; } = new("concat(...)", ["1 for its block"], ["{g}'s block"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("concat", "(2, 3) and (4, 3) on 0", () => [ShapeCases.R(39, 2, 3), ShapeCases.R(40, 4, 3)], x => Tensor.Concat([x[0], x[1]], 0)),
                ShapeCases.Case("stack", "three (2, 3) on -1", () => [ShapeCases.R(206, 2, 3), ShapeCases.R(207, 2, 3), ShapeCases.R(208, 2, 3)],
                    x => Tensor.Stack(x, -1)),
            ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
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
            }, SavedTensors.None);
        }

        /// <summary>
        /// Joins tensors of one shape along a new dimension <paramref name="dim"/> (PyTorch's <c>stack</c>; -1 is the new last
        /// dimension): each tensor unsqueezed at <paramref name="dim"/>, then concatenated.
        /// </summary>
        public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
        {
            ArgumentNullException.ThrowIfNull(tensors);
            if (tensors.Count == 0) throw new ArgumentException("stack: needs at least one tensor.", nameof(tensors));
            var first = tensors[0];
            foreach (var t in tensors)
                if (!Shapes.Equal(t.shape, first.shape))
                    throw new TensorShapeException(
                        $"stack: every tensor must have the same shape: got {string.Join(" and ", tensors.Select(x => Shapes.Format(x.shape)))}.", nameof(tensors));
            int wrapped = dim < 0 ? dim + first.Rank + 1 : dim;
            if (wrapped < 0 || wrapped > first.Rank) Shapes.ThrowBadDim("stack", dim, first.Rank + 1);
            var parts = new Tensor[tensors.Count];
            for (int i = 0; i < parts.Length; i++) parts[i] = tensors[i].Unsqueeze(wrapped);
            return Concat(parts, wrapped);
        }
    }
}

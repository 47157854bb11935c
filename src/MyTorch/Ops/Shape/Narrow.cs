using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>narrow: a slice of one dimension (a copy); the gradient places g in the slice, zeros elsewhere.</summary>
    internal sealed class NarrowOp : OpDefinition
    {
        public override string Name => "narrow";

        public override OpNotation Notation { get; } = new("narrow({0})", ["1 inside the slice, 0 outside"], ["{g} placed in the slice"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("narrow", "(4, 5), columns 1..3", () => [ShapeCases.R(38, 4, 5)], x => x[0].Narrow(1, 1, 3)),
                ShapeCases.Case("narrow", "(4, 5), start -3 on dimension -1", () => [ShapeCases.R(204, 4, 5)], x => x[0].Narrow(-1, -3, 2)),
            ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Elements <paramref name="start"/> .. start + <paramref name="length"/> - 1 along <paramref name="dim"/> (a copy).
        /// A negative start counts from the end, as in PyTorch.
        /// </summary>
        public Tensor Narrow(int dim, int start, int length)
        {
            if (Rank == 0) throw new TensorShapeException("narrow: cannot be applied to a 0-d tensor (as in PyTorch); reshape it to (1,) first.");
            int d = Shapes.WrapDim(dim, Rank, "narrow");
            int size = shape[d];
            if (start < -size || start > size)
                throw new TensorShapeException(
                    $"narrow: start {start} is out of range for dimension {dim} of size {size} (expected {-size} to {size}; shape {Shapes.Format(shape)}).");
            if (start < 0) start += size;
            if (length < 0 || start + length > shape[d])
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
            }, SavedTensors.None);
        }
    }
}

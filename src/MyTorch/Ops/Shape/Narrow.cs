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
            [ShapeCases.Case("narrow", "(4, 5), columns 1..3", () => [ShapeCases.R(38, 4, 5)], x => x[0].Narrow(1, 1, 3))];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
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
    }
}

using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// The lower median (the element at position (n - 1) / 2 in sorted order), NaN where there is a NaN, as PyTorch's. Over all
    /// elements, tied medians share the gradient equally; along a dimension, it goes to the returned index.
    /// </summary>
    internal sealed class MedianOp : ReductionOp
    {
        public const string OpName = "median";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("median({0})", ["[{0} is the median]"], ["{g} to the median"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("all of (3, 4)", () => [Distinct(290, 3, 4)], x => x[0].Median()),
            Case("(3, 5) along 1", () => [Distinct(291, 3, 5)], x => x[0].Median(1).Values),
            Case("(4, 3) along 0, keepDim", () => [Distinct(292, 4, 3)], x => x[0].Median(0, keepDim: true).Values),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// The lower median of all elements (<c>torch.median(x)</c>): for an even count the smaller of the two middle
        /// elements; NaN if any element is NaN or the tensor is empty. Tied medians share the gradient equally, as in PyTorch.
        /// </summary>
        public Tensor Median()
        {
            Tensor value;
            using (Autograd.NoGrad())
                value = Count == 0 ? Full([], double.NaN, DType) : Flatten().Median(0).Values;
            value = value.Detach();
            var x = this;
            return Autograd.Record(value, Ops.MedianOp.OpName, [this], g =>
            {
                var hit = Where(value.Ne(value), x.Ne(x), x.Eq(value));
                return [Where(hit, g / hit.Sum(), ZerosLike(x))];
            });
        }

        /// <summary>
        /// The lower median along <paramref name="dim"/> and its index (int64), <c>torch.median(x, dim)</c>: the index of the
        /// element at position (n - 1) / 2 of the stable sort, or of the first NaN in a line with NaN. The gradient goes to it.
        /// </summary>
        public (Tensor Values, Tensor Indices) Median(int dim, bool keepDim = false)
        {
            int d = Shapes.WrapDim(dim, Math.Max(Rank, 1), Ops.MedianOp.OpName);
            if (Rank == 0)
            {
                var (values, indices) = Reshape(1).Median(0);
                return (values.Reshape(), indices.Reshape());
            }
            if (shape[d] == 0)
                throw new TensorShapeException($"{Ops.MedianOp.OpName}: dimension {dim} of shape {Shapes.Format(shape)} is empty.");
            var index = Ops.SortOp.SortedIndices(this, d, descending: false, 1, median: true, Ops.MedianOp.OpName);
            var value = Ops.ReductionGatherOp.Apply(this, index, d, Ops.MedianOp.OpName);
            return keepDim ? (value, index) : (value.Squeeze(d), index.Squeeze(d));
        }
    }
}

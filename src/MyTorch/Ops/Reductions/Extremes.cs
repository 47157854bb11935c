using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// The largest element, of all elements (tied largest elements share the gradient equally) or along one dimension (the
    /// gradient goes to the first largest element, whose index <c>argmax</c> gives).
    /// </summary>
    internal sealed class MaxOp : ReductionOp
    {
        public const string OpName = "max";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("max({0})", ["[{0} is the max]"], ["{g} to the max"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) over 1", () => [Distinct(56, 3, 4)], x => x[0].Max(1)),
        ];
    }

    /// <summary>The smallest element; the gradient as for <see cref="MaxOp"/>.</summary>
    internal sealed class MinOp : ReductionOp
    {
        public const string OpName = "min";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("min({0})", ["[{0} is the min]"], ["{g} to the min"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("all of (3, 4)", () => [Distinct(57, 3, 4)], x => x[0].Min()),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The largest element. Tied largest elements share the gradient equally, as in PyTorch.</summary>
        public Tensor Max() => ExtremeOfAll(largest: true);

        /// <summary>The smallest element. Tied smallest elements share the gradient equally, as in PyTorch.</summary>
        public Tensor Min() => ExtremeOfAll(largest: false);

        private Tensor ExtremeOfAll(bool largest)
        {
            RequireElements(largest ? Ops.MaxOp.OpName : Ops.MinOp.OpName);
            Tensor value;
            using (Autograd.NoGrad()) value = Flatten().Extreme(0, keepDim: false, largest);
            value = value.Detach();
            var x = this;
            return Autograd.Record(value, largest ? Ops.MaxOp.OpName : Ops.MinOp.OpName, [this], g =>
            {
                // Every element equal to the result shares g (a NaN result is shared by the NaNs); the others get an exact 0.
                var hit = Where(value.Ne(value), x.Ne(x), x.Eq(value));
                return [Where(hit, g / hit.Sum(), ZerosLike(x))];
            });
        }

        /// <summary>The largest element along <paramref name="dim"/>. The gradient goes to the (first) largest element.</summary>
        public Tensor Max(int dim, bool keepDim = false) => Extreme(dim, keepDim, largest: true);

        /// <summary>The smallest element along <paramref name="dim"/>. The gradient goes to the (first) smallest element.</summary>
        public Tensor Min(int dim, bool keepDim = false) => Extreme(dim, keepDim, largest: false);

        /// <summary>The index (int64) of the largest element along <paramref name="dim"/>; the first on ties.</summary>
        public Tensor ArgMax(int dim, bool keepDim = false) => ArgExtreme(dim, keepDim, largest: true, "argmax");

        /// <summary>The flat index (int64, 0-d) of the largest element.</summary>
        public Tensor ArgMax()
        {
            RequireElements("argmax");
            return Flatten().ArgMax(0);
        }

        /// <summary>The index (int64) of the smallest element along <paramref name="dim"/>; the first on ties.</summary>
        public Tensor ArgMin(int dim, bool keepDim = false) => ArgExtreme(dim, keepDim, largest: false, "argmin");

        /// <summary>The flat index (int64, 0-d) of the smallest element; the first on ties.</summary>
        public Tensor ArgMin()
        {
            RequireElements("argmin");
            return Flatten().ArgMin(0);
        }

        // A reduction over all elements without an identity (max, argmin) has no value for an empty tensor: PyTorch raises.
        private void RequireElements(string op)
        {
            if (Count == 0)
                throw new TensorShapeException($"{op}: the tensor of shape {Shapes.Format(shape)} is empty; {op}() over all elements needs at least one. Reduce over a non-empty dimension instead.");
        }

        /// <summary>
        /// The largest elements along <paramref name="dim"/> and their indices (int64), PyTorch's <c>torch.max(x, dim)</c>:
        /// the first index on ties, the first NaN where there is one. The values' gradient goes to those indices.
        /// </summary>
        public (Tensor Values, Tensor Indices) MaxWithIndices(int dim, bool keepDim = false) => ExtremeWithIndices(dim, keepDim, largest: true);

        /// <summary>The smallest elements along <paramref name="dim"/> and their indices, PyTorch's <c>torch.min(x, dim)</c>.</summary>
        public (Tensor Values, Tensor Indices) MinWithIndices(int dim, bool keepDim = false) => ExtremeWithIndices(dim, keepDim, largest: false);

        private Tensor ArgExtreme(int dim, bool keepDim, bool largest, string op)
        {
            if (Rank == 0) return Reshape(1).ArgExtreme(0, keepDim: false, largest, op);
            var layout = ReductionLayoutOf(dim, keepDim, op);
            if (layout.Size == 0) throw new TensorShapeException($"{op}: dimension {dim} of shape {Shapes.Format(shape)} is empty.");
            var result = Empty(layout.ResultShape, DType.Int64, op);
            Compiled.Recording.Launch((x: this, layout.Outer, layout.Size, layout.Inner, result, largest), static s =>
            {
                var (x, outer, size, inner, result, largest) = s;
                switch (x.DType)
                {
                    case DType.Float32: ReductionKernels.ArgExtreme<float>(x.F32, outer, size, inner, result.I64, largest); break;
                    case DType.Float64: ReductionKernels.ArgExtreme<double>(x.F64, outer, size, inner, result.I64, largest); break;
                    default: ReductionKernels.ArgExtreme<long>(x.I64, outer, size, inner, result.I64, largest); break;
                }
            });
            return result;
        }

        private Tensor Extreme(int dim, bool keepDim, bool largest) => ExtremeWithIndices(dim, keepDim, largest).Values;

        private (Tensor Values, Tensor Indices) ExtremeWithIndices(int dim, bool keepDim, bool largest)
        {
            string op = largest ? Ops.MaxOp.OpName : Ops.MinOp.OpName;
            if (Rank == 0)
            {
                Shapes.WrapDim(dim, 1, op);
                var (values, kept) = Reshape(1).ExtremeWithIndices(0, keepDim: false, largest);
                return (values, kept.Reshape());
            }
            var layout = ReductionLayoutOf(dim, keepDim, op);
            int d = layout.Dim, outer = layout.Outer, inner = layout.Inner;
            var indices = ArgExtreme(d, keepDim: true, largest, op);
            var result = Empty(layout.ResultShape, DType, op);
            Compiled.Recording.Launch((x: this, outer, layout.Size, inner, indices, result), static s =>
            {
                var (x, outer, size, inner, indices, result) = s;
                switch (x.DType)
                {
                    case DType.Float32: ReductionKernels.Gather<float>(x.F32, outer, size, inner, indices.I64, result.F32); break;
                    case DType.Float64: ReductionKernels.Gather<double>(x.F64, outer, size, inner, indices.I64, result.F64); break;
                    default: ReductionKernels.Gather<long>(x.I64, outer, size, inner, indices.I64, result.I64); break;
                }
            });
            var x = this;
            var recorded = Autograd.Record(result, op, [this], g =>
            {
                var mask = EmptyLike(x);
                Compiled.Recording.Launch((mask, outer, size: x.shape[d], inner, indices), static s =>
                {
                    var (mask, outer, size, inner, indices) = s;
                    if (mask.DType == DType.Float32) ReductionKernels.OneHotMask<float>(mask.F32, outer, size, inner, indices.I64);
                    else ReductionKernels.OneHotMask<double>(mask.F64, outer, size, inner, indices.I64);
                });
                // Select rather than multiply by the mask, so an infinite g gives 0, not NaN, where the mask is 0.
                return [Where(mask, keepDim ? g : g.Unsqueeze(d), ZerosLike(x))];
            });
            return (recorded, keepDim ? indices : indices.Squeeze(d));
        }
    }
}

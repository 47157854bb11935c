using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>The sum over one dimension or all elements; its gradient is the output gradient copied to every summed element.</summary>
    internal sealed class SumOp : ReductionOp
    {
        public const string OpName = "sum";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("sum({0})", ["1"], ["{g} copied to every element"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("all of (3, 4)", () => [Uniform(50, 3, 4)], x => x[0].Sum()),
            Case("(2, 3, 4) over 1", () => [Uniform(51, 2, 3, 4)], x => x[0].Sum(1)),
            Case("(2, 3, 4) over 2, keepDim", () => [Uniform(52, 2, 3, 4)], x => x[0].Sum(2, keepDim: true)),
            Case("(2, 3, 4) over [0, 2]", () => [Uniform(240, 2, 3, 4)], x => x[0].Sum([0, 2])),
            Case("(2, 3, 4) over [-1, 1], keepDim", () => [Uniform(241, 2, 3, 4)], x => x[0].Sum([-1, 1], keepDim: true)),
        ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>The sum of all elements, as a 0-d tensor.</summary>
        public Tensor Sum() => Flatten().Sum(0);

        /// <summary>The sum over dimension <paramref name="dim"/>. Gradient: the output gradient copied to every summed element.</summary>
        public Tensor Sum(int dim, bool keepDim = false)
        {
            if (Rank == 0) return Reshape(1).Sum(0, keepDim: false);
            var layout = ReductionLayoutOf(dim, keepDim, Ops.SumOp.OpName);
            var result = Empty(layout.ResultShape, DType, Ops.SumOp.OpName);
            Compiled.Recording.Launch((x: this, layout.Outer, layout.Size, layout.Inner, result), static s =>
            {
                var (x, outer, size, inner, result) = s;
                switch (x.DType)
                {
                    case DType.Float32: ReductionKernels.Sum<float>(x.F32, outer, size, inner, result.F32); break;
                    case DType.Float64: ReductionKernels.Sum<double>(x.F64, outer, size, inner, result.F64); break;
                    default: ReductionKernels.Sum<long>(x.I64, outer, size, inner, result.I64); break;
                }
            });
            var x = this;
            int d = layout.Dim;
            return Autograd.Record(result, Ops.SumOp.OpName, [this], g => [(keepDim ? g : g.Unsqueeze(d)).BroadcastTo(x.shape)], SavedTensors.None);
        }

        /// <summary>
        /// The sum over several dimensions at once (<c>torch.sum(x, dims, keepdim)</c>), in any order, negative ones counted
        /// from the end; an empty list sums every element, as in PyTorch. A dimension listed twice is an error.
        /// </summary>
        public Tensor Sum(int[] dims, bool keepDim = false)
        {
            var reduced = ReducedDims(dims, Ops.SumOp.OpName);
            if (Rank == 0) return Reshape(1).Sum(0);
            var y = this;
            for (int i = reduced.Length - 1; i >= 0; i--) y = y.Sum(reduced[i], keepDim: true);
            return keepDim ? y : y.Reshape(ShapeWithout(reduced, keepDim: false));
        }
    }
}

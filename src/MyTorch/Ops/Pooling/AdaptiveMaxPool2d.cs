using MyTorch.Compiled;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// y = the maximum of each adaptive window of each (N, C) plane, PyTorch's <c>F.adaptive_max_pool2d</c>: output (i, j)
    /// takes rows [floor(i H / OH), ceil((i + 1) H / OH)) and likewise columns. It runs max pooling's kernels on the
    /// adaptive <see cref="PoolGeometry"/>: the gradient goes to the chosen element (the first maximum on ties, a NaN
    /// wins, as PyTorch's CPU kernel) through <see cref="MaxPoolScatterOp"/>, so double backward works as for max pooling.
    /// </summary>
    internal sealed class AdaptiveMaxPool2dOp : OpDefinition
    {
        public const string OpName = "adaptive_max_pool2d";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("adaptive_max_pool2d({0})", ["1 at each window's maximum"], ["{g} to each window's maximum"], false);

        public static Tensor Apply(Tensor x, in PoolGeometry geometry)
        {
            int[] outputShape = [x.Shape[0], x.Shape[1], geometry.Rows.Out, geometry.Columns.Out];
            var y = Tensor.Empty(outputShape, x.DType, OpName);
            var indices = Tensor.Empty(outputShape, DType.Int64, OpName);
            Recording.Launch((geometry, x, y, indices), static s =>
            {
                if (s.x.DType == DType.Float32) PoolParallel<float>.MaxForward(s.geometry, s.x.F32, s.y.F32, s.indices.I64);
                else PoolParallel<double>.MaxForward(s.geometry, s.x.F64, s.y.F64, s.indices.I64);
            });
            var g = geometry;
            var inputShape = x.ShapeArray;
            return Autograd.Record(y, OpName, [x], grad => [MaxPoolScatterOp.Apply(grad, indices, inputShape, g)], SavedTensors.None);
        }

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                static Tensor Distinct(ulong seed, params int[] shape)
                {
                    // Distinct values 0.05 apart: no ties, so the chosen element does not move under finite differences.
                    int n = shape.Aggregate(1, (a, b) => a * b);
                    var permutation = new Generator(seed).Permutation(n);
                    var values = new double[n];
                    for (int i = 0; i < n; i++) values[i] = 0.05 * (permutation[i] - n / 2);
                    return Tensor.FromArray(values, shape, requiresGrad: true);
                }
                yield return new("op", OpName, "(2, 2, 7, 5) to (3, 2): overlapping windows", () => [Distinct(470, 2, 2, 7, 5)], t => t[0].AdaptiveMaxPool2d((3, 2)));
                yield return new("op", OpName, "(1, 2, 3, 2) to (4, 5): more outputs than inputs", () => [Distinct(471, 1, 2, 3, 2)], t => t[0].AdaptiveMaxPool2d((4, 5)));
                yield return new("op", OpName, "adaptive_max_pool1d (2, 3, 10) to 4", () => [Distinct(472, 2, 3, 10)], t => t[0].AdaptiveMaxPool1d(4));
            }
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Adaptive 2-D max pooling of this (N, C, H, W) or unbatched (C, H, W) input to <paramref name="outputSize"/>,
        /// PyTorch's <c>F.adaptive_max_pool2d</c> (without <c>return_indices</c>): output (i, j) is the largest element of
        /// rows [floor(i H / OH), ceil((i + 1) H / OH)) and columns likewise; the gradient goes to it (the first on ties).
        /// </summary>
        /// <param name="outputSize">(OH, OW), or one int for both.</param>
        /// <exception cref="TensorShapeException">The input is not 3-D or 4-D floating point, or has an empty spatial dimension.</exception>
        public Tensor AdaptiveMaxPool2d(Size2 outputSize) => AdaptiveMaxPool2dCore("adaptive_max_pool2d", outputSize);

        internal Tensor AdaptiveMaxPool2dCore(string who, Size2 outputSize)
        {
            if (Rank == 3) return Unbatched(Reshape([1, .. shape]).AdaptiveMaxPool2dCore(who, outputSize));
            return Ops.AdaptiveMaxPool2dOp.Apply(this, Ops.PoolGeometry.Adaptive(who, this, outputSize));
        }

        /// <summary>Adaptive max pooling of this (N, C, L) or (C, L) input to <paramref name="outputSize"/>, PyTorch's <c>F.adaptive_max_pool1d</c>.</summary>
        /// <param name="outputSize">The output length.</param>
        /// <exception cref="TensorShapeException">The input is not 2-D or 3-D floating point, or is empty along its length.</exception>
        public Tensor AdaptiveMaxPool1d(int outputSize) => AdaptiveMaxPool1dCore("adaptive_max_pool1d", outputSize);

        internal Tensor AdaptiveMaxPool1dCore(string who, int outputSize) => As1d(who, x => x.AdaptiveMaxPool2dCore(who, new Size2(1, outputSize)));
    }
}

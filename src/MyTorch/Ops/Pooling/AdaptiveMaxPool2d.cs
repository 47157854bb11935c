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

        public static Tensor Apply(Tensor x, in PoolGeometry geometry) => MaxPool2dOp.Apply(x, geometry, OpName);

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                yield return new("op", OpName, "(2, 2, 7, 5) to (3, 2): overlapping windows", () => [MaxPool2dOp.Distinct(470, 2, 2, 7, 5)], t => t[0].AdaptiveMaxPool2d((3, 2)));
                yield return new("op", OpName, "(1, 2, 3, 2) to (4, 5): more outputs than inputs", () => [MaxPool2dOp.Distinct(471, 1, 2, 3, 2)], t => t[0].AdaptiveMaxPool2d((4, 5)));
                yield return new("op", OpName, "adaptive_max_pool1d (2, 3, 10) to 4", () => [MaxPool2dOp.Distinct(472, 2, 3, 10)], t => t[0].AdaptiveMaxPool1d(4));
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

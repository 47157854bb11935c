using MyTorch.Compiled;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// y = the mean of each window of each (N, C) plane: PyTorch's <c>F.avg_pool2d</c> (with padding, count_include_pad
    /// and ceil_mode) and <c>F.adaptive_avg_pool2d</c> (its windows from the output size). Linear: its gradient is
    /// <see cref="AvgPoolBackwardOp"/>, whose gradient is this op again.
    /// </summary>
    internal sealed class AvgPool2dOp : OpDefinition
    {
        public const string OpName = "avg_pool2d";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("avg_pool2d({0})", ["1 / window size over each window"], ["{g} / window size spread over each window"], false);

        public static Tensor Apply(Tensor x, in PoolGeometry geometry)
        {
            var y = Tensor.Empty([x.Shape[0], x.Shape[1], geometry.Rows.Out, geometry.Columns.Out], x.DType, OpName);
            Recording.Launch((geometry, x, y), static s =>
            {
                if (s.x.DType == DType.Float32) PoolParallel<float>.AverageForward(s.geometry, s.x.F32, s.y.F32);
                else PoolParallel<double>.AverageForward(s.geometry, s.x.F64, s.y.F64);
            });
            var g = geometry;
            var inputShape = x.ShapeArray;
            return Autograd.Record(y, OpName, [x], grad => [AvgPoolBackwardOp.Apply(grad, inputShape, g)], SavedTensors.None);
        }

        private static Tensor R(ulong seed, params int[] shape) => Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", OpName, "(2, 2, 7, 6), kernel 3, stride 2, padding 1", () => [R(460, 2, 2, 7, 6)], t => t[0].AvgPool2d(3, 2, 1)),
            new("op", OpName, "(1, 2, 6, 8), kernel 3, stride 2, padding 1, ceil mode, padding not counted", () => [R(461, 1, 2, 6, 8)],
                t => t[0].AvgPool2d(3, 2, 1, ceilMode: true, countIncludePad: false)),
            new("op", OpName, "adaptive (2, 3, 7, 5) to (3, 2)", () => [R(462, 2, 3, 7, 5)], t => t[0].AdaptiveAvgPool2d((3, 2))),
            new("op", OpName, "avg_pool1d (2, 3, 9), kernel 2, padding 1", () => [R(463, 2, 3, 9)], t => t[0].AvgPool1d(2, padding: 1)),
            new("op", OpName, "adaptive_avg_pool1d (2, 2, 10) to 4", () => [R(464, 2, 2, 10)], t => t[0].AdaptiveAvgPool1d(4)),
        ];
    }

    /// <summary>The gradient of average pooling: each output gradient divided by its window's size and spread over the window.</summary>
    internal sealed class AvgPoolBackwardOp : OpDefinition
    {
        public const string OpName = "avg_pool2d_backward";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("{0} spread over the windows", ["avg_pool2d((.))"], ["avg_pool2d({g})"], false);

        public static Tensor Apply(Tensor gy, int[] inputShape, in PoolGeometry geometry)
        {
            var dx = Tensor.Empty(inputShape, gy.DType, OpName);
            Recording.Launch((geometry, gy, dx), static s =>
            {
                if (s.gy.DType == DType.Float32) PoolParallel<float>.AverageBackward(s.geometry, s.gy.F32, s.dx.F32);
                else PoolParallel<double>.AverageBackward(s.geometry, s.gy.F64, s.dx.F64);
            });
            var g = geometry;
            return Autograd.Record(dx, OpName, [gy], h => [AvgPool2dOp.Apply(h, g)], SavedTensors.None);
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// 2-D average pooling of this (N, C, H, W) or unbatched (C, H, W) input, PyTorch's <c>F.avg_pool2d</c>.
        /// </summary>
        /// <param name="kernelSize">The window: an int or (height, width).</param>
        /// <param name="stride">The step between windows; the kernel size by default.</param>
        /// <param name="padding">Zero padding on each side, at most half the kernel; 0 by default.</param>
        /// <param name="ceilMode">Round the output size up (a last partial window) instead of down.</param>
        /// <param name="countIncludePad">Divide by the window's size including the zero padding (PyTorch's default) rather than by its elements inside the input.</param>
        public Tensor AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool ceilMode = false, bool countIncludePad = true) =>
            AvgPool2dCore("avg_pool2d", kernelSize, stride ?? kernelSize, padding ?? 0, ceilMode, countIncludePad);

        internal Tensor AvgPool2dCore(string who, Size2 kernelSize, Size2 stride, Size2 padding, bool ceilMode, bool countIncludePad, bool oneD = false)
        {
            if (Rank == 3) return Unbatched(Reshape([1, .. shape]).AvgPool2dCore(who, kernelSize, stride, padding, ceilMode, countIncludePad));
            return Ops.AvgPool2dOp.Apply(this, Ops.PoolGeometry.Of(who, this, kernelSize, stride, padding, 1, ceilMode, countIncludePad, max: false, oneD));
        }

        /// <summary>1-D average pooling of this (N, C, L) or unbatched (C, L) input, PyTorch's <c>F.avg_pool1d</c>.</summary>
        /// <param name="kernelSize">The window's length.</param>
        /// <param name="stride">The step between windows; the kernel size by default.</param>
        /// <param name="padding">Zero padding on each side, at most half the kernel.</param>
        /// <param name="ceilMode">Round the output size up instead of down.</param>
        /// <param name="countIncludePad">Divide by the window's size including the padding.</param>
        public Tensor AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) =>
            AvgPool1dCore("avg_pool1d", kernelSize, stride ?? kernelSize, padding, ceilMode, countIncludePad);

        internal Tensor AvgPool1dCore(string who, int kernelSize, int stride, int padding, bool ceilMode, bool countIncludePad) =>
            As1d(who, x => x.AvgPool2dCore(who, new Size2(1, kernelSize), new Size2(1, stride), new Size2(0, padding), ceilMode, countIncludePad, oneD: true));

        /// <summary>
        /// Adaptive average pooling of this (N, C, H, W) or (C, H, W) input to <paramref name="outputSize"/>, PyTorch's
        /// <c>F.adaptive_avg_pool2d</c>: output (i, j) averages rows [floor(i H / OH), ceil((i + 1) H / OH)) and likewise columns.
        /// </summary>
        /// <param name="outputSize">(OH, OW), or one int for both.</param>
        public Tensor AdaptiveAvgPool2d(Size2 outputSize) => AdaptiveAvgPool2dCore("adaptive_avg_pool2d", outputSize);

        internal Tensor AdaptiveAvgPool2dCore(string who, Size2 outputSize)
        {
            if (Rank == 3) return Unbatched(Reshape([1, .. shape]).AdaptiveAvgPool2dCore(who, outputSize));
            return Ops.AvgPool2dOp.Apply(this, Ops.PoolGeometry.Adaptive(who, this, outputSize));
        }

        /// <summary>Adaptive average pooling of this (N, C, L) or (C, L) input to <paramref name="outputSize"/>, PyTorch's <c>F.adaptive_avg_pool1d</c>.</summary>
        /// <param name="outputSize">The output length.</param>
        public Tensor AdaptiveAvgPool1d(int outputSize) => AdaptiveAvgPool1dCore("adaptive_avg_pool1d", outputSize);

        internal Tensor AdaptiveAvgPool1dCore(string who, int outputSize) => As1d(who, x => x.AdaptiveAvgPool2dCore(who, new Size2(1, outputSize)));
    }
}

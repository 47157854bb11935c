using MyTorch.Compiled;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// y = the maximum of each window of each (N, C) plane, PyTorch's <c>F.max_pool2d</c>; the gradient goes to the
    /// chosen element of each window (the first maximum on ties), through <see cref="MaxPoolScatterOp"/>, whose adjoint
    /// <see cref="MaxPoolGatherOp"/> makes double backward work.
    /// </summary>
    internal sealed class MaxPool2dOp : OpDefinition
    {
        public const string OpName = "max_pool2d";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("max_pool2d({0})", ["1 at each window's maximum"], ["{g} to each window's maximum"], false);

        /// <summary>The maximum of each window <paramref name="geometry"/> describes, recorded as <paramref name="name"/> (adaptive max pooling shares it).</summary>
        public static Tensor Apply(Tensor x, in PoolGeometry geometry, string name = OpName)
        {
            int[] outputShape = [x.Shape[0], x.Shape[1], geometry.Rows.Out, geometry.Columns.Out];
            var y = Tensor.Empty(outputShape, x.DType, name);
            var indices = Tensor.Empty(outputShape, DType.Int64, name);
            Recording.Launch((geometry, x, y, indices), static s =>
            {
                if (s.x.DType == DType.Float32) PoolParallel<float>.MaxForward(s.geometry, s.x.F32, s.y.F32, s.indices.I64);
                else PoolParallel<double>.MaxForward(s.geometry, s.x.F64, s.y.F64, s.indices.I64);
            });
            var g = geometry;
            var inputShape = x.ShapeArray;
            return Autograd.Record(y, name, [x], grad => [MaxPoolScatterOp.Apply(grad, indices, inputShape, g)], SavedTensors.None);
        }

        /// <summary>Distinct values 0.05 apart: no ties, so the chosen element does not move under finite differences.</summary>
        internal static Tensor Distinct(ulong seed, params int[] shape)
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            var permutation = new Generator(seed).Permutation(n);
            var values = new double[n];
            for (int i = 0; i < n; i++) values[i] = 0.05 * (permutation[i] - n / 2);
            return Tensor.FromArray(values, shape, requiresGrad: true);
        }

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                yield return new("op", OpName, "(2, 2, 7, 6), kernel 3, stride 2, padding 1", () => [Distinct(450, 2, 2, 7, 6)], t => t[0].MaxPool2d(3, 2, 1));
                yield return new("op", OpName, "(1, 2, 7, 8), kernel (2, 3), stride (1, 2), dilation (2, 1), ceil mode", () => [Distinct(451, 1, 2, 7, 8)],
                    t => t[0].MaxPool2d((2, 3), (1, 2), dilation: (2, 1), ceilMode: true));
                yield return new("op", OpName, "max_pool1d (2, 3, 9), kernel 3, stride 2", () => [Distinct(452, 2, 3, 9)], t => t[0].MaxPool1d(3, 2));
            }
        }
    }

    /// <summary>The gradient of max pooling: each output gradient added at its window's chosen input element.</summary>
    internal sealed class MaxPoolScatterOp : OpDefinition
    {
        public const string OpName = "max_pool2d_backward";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("{0} at each window's maximum", ["1 at the chosen elements"], ["{g} at the chosen elements"], false);

        public static Tensor Apply(Tensor gy, Tensor indices, int[] inputShape, in PoolGeometry geometry)
        {
            var dx = Tensor.Empty(inputShape, gy.DType, OpName);
            Recording.Launch((geometry, gy, indices, dx), static s =>
            {
                if (s.gy.DType == DType.Float32) PoolParallel<float>.Scatter(s.geometry, s.gy.F32, s.indices.I64, s.dx.F32);
                else PoolParallel<double>.Scatter(s.geometry, s.gy.F64, s.indices.I64, s.dx.F64);
            });
            var g = geometry;
            var outputShape = gy.ShapeArray;
            return Autograd.Record(dx, OpName, [gy], h => [MaxPoolGatherOp.Apply(h, indices, outputShape, g)], SavedTensors.None);
        }
    }

    /// <summary>The adjoint of <see cref="MaxPoolScatterOp"/>: each window's chosen element picked out.</summary>
    internal sealed class MaxPoolGatherOp : OpDefinition
    {
        public const string OpName = "max_pool2d_gather";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("{0} at each window's maximum", ["1 at the chosen elements"], ["{g} added at the chosen elements"], false);

        public static Tensor Apply(Tensor x, Tensor indices, int[] outputShape, in PoolGeometry geometry)
        {
            var y = Tensor.Empty(outputShape, x.DType, OpName);
            Recording.Launch((geometry, x, indices, y), static s =>
            {
                if (s.x.DType == DType.Float32) PoolParallel<float>.Gather(s.geometry, s.x.F32, s.indices.I64, s.y.F32);
                else PoolParallel<double>.Gather(s.geometry, s.x.F64, s.indices.I64, s.y.F64);
            });
            var g = geometry;
            var inputShape = x.ShapeArray;
            return Autograd.Record(y, OpName, [x], h => [MaxPoolScatterOp.Apply(h, indices, inputShape, g)], SavedTensors.None);
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// 2-D max pooling of this (N, C, H, W) or unbatched (C, H, W) input, PyTorch's <c>F.max_pool2d</c>: the largest
        /// element of each window; the gradient goes to it (the first one on ties; a NaN wins).
        /// </summary>
        /// <param name="kernelSize">The window: an int or (height, width).</param>
        /// <param name="stride">The step between windows; the kernel size by default.</param>
        /// <param name="padding">Implicit -infinity padding on each side, at most half the kernel; 0 by default.</param>
        /// <param name="dilation">The spacing between window elements; 1 by default.</param>
        /// <param name="ceilMode">Round the output size up (a last partial window) instead of down.</param>
        public Tensor MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false) =>
            MaxPool2dCore("max_pool2d", kernelSize, stride ?? kernelSize, padding ?? 0, dilation ?? 1, ceilMode);

        internal Tensor MaxPool2dCore(string who, Size2 kernelSize, Size2 stride, Size2 padding, Size2 dilation, bool ceilMode, bool oneD = false)
        {
            if (Rank == 3) return Unbatched(Reshape([1, .. shape]).MaxPool2dCore(who, kernelSize, stride, padding, dilation, ceilMode));
            return Ops.MaxPool2dOp.Apply(this, Ops.PoolGeometry.Of(who, this, kernelSize, stride, padding, dilation, ceilMode, false, max: true, oneD));
        }

        /// <summary>1-D max pooling of this (N, C, L) or unbatched (C, L) input, PyTorch's <c>F.max_pool1d</c>.</summary>
        /// <param name="kernelSize">The window's length.</param>
        /// <param name="stride">The step between windows; the kernel size by default.</param>
        /// <param name="padding">Implicit -infinity padding on each side, at most half the kernel.</param>
        /// <param name="dilation">The spacing between window elements.</param>
        /// <param name="ceilMode">Round the output size up instead of down.</param>
        public Tensor MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
            MaxPool1dCore("max_pool1d", kernelSize, stride ?? kernelSize, padding, dilation, ceilMode);

        internal Tensor MaxPool1dCore(string who, int kernelSize, int stride, int padding, int dilation, bool ceilMode) =>
            As1d(who, x => x.MaxPool2dCore(who, new Size2(1, kernelSize), new Size2(1, stride), new Size2(0, padding), new Size2(1, dilation), ceilMode, oneD: true));

        /// <summary>Drops the batch dimension of one that was added for an unbatched input.</summary>
        private static Tensor Unbatched(Tensor batched) => batched.Reshape(batched.ShapeArray[1..]);

        /// <summary>Runs a 2-D op on this (N, C, L) or (C, L) input as (N, C, 1, L) and drops the height again.</summary>
        internal Tensor As1d(string who, Func<Tensor, Tensor> op2d)
        {
            if (Rank == 2) return Unbatched(Reshape([1, .. shape]).As1d(who, op2d));
            if (Rank != 3)
                throw new TensorShapeException($"{who}: expected a 3-D input (batch, channels, length) or 2-D (channels, length), got shape {Shapes.Format(Shape)}.");
            var y = op2d(Reshape(shape[0], shape[1], 1, shape[2]));
            return y.Reshape(y.Shape[0], y.Shape[1], y.Shape[3]);
        }
    }
}

using MyTorch.Compiled;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// y = conv2d(x, w) + b over (N, C, H, W) inputs and (OC, C / groups, KH, KW) weights, PyTorch's <c>F.conv2d</c>.
    /// Its gradients are the ops below (input gradient, weight gradient, bias gradient), each differentiable in turn, so
    /// double backward works and the graph's backward and the replayed one run the same kernels.
    /// </summary>
    internal sealed class Conv2dOp : OpDefinition
    {
        public const string OpName = "conv2d";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("conv2d({0}, {1}) + {2}",
            ["conv_transpose2d((.), {1})", "(.) correlated with {0}", "1 at every position"],
            ["conv_transpose2d({g}, {1})", "{g} correlated with {0}", "sum of {g} over batch and positions"], false);

        private static readonly OpNotation WithoutBias = new("conv2d({0}, {1})",
            ["conv_transpose2d((.), {1})", "(.) correlated with {0}"], ["conv_transpose2d({g}, {1})", "{g} correlated with {0}"], false);

        public override OpNotation NotationFor(int inputs) => inputs == 2 ? WithoutBias : Notation;

        public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias, in ConvGeometry geometry)
        {
            var y = Tensor.Empty(geometry.OutputShape, x.DType, OpName);
            int slices = ConvKernels.Slices(geometry);
            var col = Tensor.Empty([slices * ConvKernels.ColumnElements(geometry)], x.DType, OpName);
            Recording.Launch((geometry, slices, x, weight, bias, y, col), static s =>
            {
                if (s.x.DType == DType.Float32)
                    ConvParallel<float>.Forward(s.geometry, s.x.F32, s.weight.F32, s.bias is null ? default : s.bias.F32, s.y.F32, s.col.F32, s.slices);
                else
                    ConvParallel<double>.Forward(s.geometry, s.x.F64, s.weight.F64, s.bias is null ? default : s.bias.F64, s.y.F64, s.col.F64, s.slices);
            });
            var g = geometry;
            return Autograd.Record(y, OpName, bias is null ? [x, weight] : [x, weight, bias], grad =>
            {
                var dx = x.RequiresGrad ? Conv2dInputGradOp.Apply(grad, weight, g) : null;
                var dw = weight.RequiresGrad ? Conv2dWeightGradOp.Apply(x, grad, g) : null;
                if (bias is null) return [dx, dw];
                return [dx, dw, bias.RequiresGrad ? ConvBiasGradOp.Apply(grad) : null];
            }, SavedTensors.Inputs);
        }

        private static Tensor R(ulong seed, params int[] shape) =>
            Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", OpName, "(2, 3, 5, 6) * (4, 3, 3, 2) + bias, stride (2, 1), padding (1, 0), dilation (1, 2)",
                () => [R(400, 2, 3, 5, 6), R(401, 4, 3, 3, 2), R(402, 4)], t => t[0].Conv2d(t[1], t[2], (2, 1), (1, 0), (1, 2))),
            new("op", OpName, "groups 2: (1, 4, 5, 4) * (6, 2, 3, 3), padding 1",
                () => [R(403, 1, 4, 5, 4), R(404, 6, 2, 3, 3)], t => t[0].Conv2d(t[1], padding: 1, groups: 2)),
            new("op", OpName, "depthwise: (2, 3, 4, 5) * (3, 1, 2, 2), padding same (even kernel)",
                () => [R(405, 2, 3, 4, 5), R(406, 3, 1, 2, 2), R(407, 3)], t => t[0].Conv2d(t[1], t[2], padding: "same", groups: 3)),
            new("op", OpName, "pointwise: (2, 3, 3, 3) * (2, 3, 1, 1) + bias",
                () => [R(408, 2, 3, 3, 3), R(409, 2, 3, 1, 1), R(410, 2)], t => t[0].Conv2d(t[1], t[2])),
            new("op", OpName, "conv1d: (2, 2, 7) * (3, 2, 3) + bias, stride 2, padding 1, dilation 2",
                () => [R(411, 2, 2, 7), R(412, 3, 2, 3), R(413, 3)], t => t[0].Conv1d(t[1], t[2], 2, 1, 2)),
        ];
    }

    /// <summary>The gradient of conv2d with respect to its input (a transposed convolution of the output gradient): linear in both operands.</summary>
    internal sealed class Conv2dInputGradOp : OpDefinition
    {
        public const string OpName = "conv2d_input_grad";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("conv_transpose2d({0}, {1})",
            ["conv2d((.), {1})", "(.) correlated with {0}"], ["conv2d({g}, {1})", "{0} correlated with {g}"], false);

        public static Tensor Apply(Tensor gy, Tensor weight, in ConvGeometry geometry)
        {
            var dx = Tensor.Empty(geometry.InputShape, gy.DType, OpName);
            int slices = ConvKernels.Slices(geometry);
            var col = Tensor.Empty([slices * ConvKernels.ColumnElements(geometry)], gy.DType, OpName);
            Recording.Launch((geometry, slices, gy, weight, dx, col), static s =>
            {
                if (s.gy.DType == DType.Float32) ConvParallel<float>.InputGrad(s.geometry, s.gy.F32, s.weight.F32, s.dx.F32, s.col.F32, s.slices);
                else ConvParallel<double>.InputGrad(s.geometry, s.gy.F64, s.weight.F64, s.dx.F64, s.col.F64, s.slices);
            });
            var g = geometry;
            return Autograd.Record(dx, OpName, [gy, weight], h =>
            [
                gy.RequiresGrad ? Conv2dOp.Apply(h, weight, null, g) : null,
                weight.RequiresGrad ? Conv2dWeightGradOp.Apply(h, gy, g) : null,
            ], SavedTensors.Inputs);
        }

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                var g = new ConvGeometry(2, 4, 5, 6, 6, 3, 2, 2, 1, 1, 1, 0, 1, 1, 2, 2);
                yield return new("op", OpName, "groups 2, stride (2, 1), padding (1, 1, 0, 1), dilation (1, 2)",
                    () => [Tensor.Uniform(g.OutputShape, -1, 1, new Generator(420), DType.Float64, requiresGrad: true),
                        Tensor.Uniform(g.WeightShape, -1, 1, new Generator(421), DType.Float64, requiresGrad: true)],
                    t => Apply(t[0], t[1], g));
            }
        }
    }

    /// <summary>The gradient of conv2d with respect to its weight (the input correlated with the output gradient): linear in both operands.</summary>
    internal sealed class Conv2dWeightGradOp : OpDefinition
    {
        public const string OpName = "conv2d_weight_grad";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("{0} correlated with {1}",
            ["conv_transpose2d({1}, (.))", "conv2d({0}, (.))"], ["conv_transpose2d({1}, {g})", "conv2d({0}, {g})"], false);

        public static Tensor Apply(Tensor x, Tensor gy, in ConvGeometry geometry)
        {
            var dw = Tensor.Empty(geometry.WeightShape, x.DType, OpName);
            // One column buffer per chunk when the chunks run on several threads, and a buffer for each chunk's sum but the first.
            int chunks = ConvKernels.Chunks(geometry);
            bool parallel = ConvKernels.Slices(geometry) > 1;
            var col = Tensor.Empty([(parallel ? chunks : 1) * ConvKernels.ColumnElements(geometry)], x.DType, OpName);
            var partials = Tensor.Empty([(chunks - 1) * dw.Count], x.DType, OpName);
            Recording.Launch((geometry, parallel, x, gy, dw, col, partials), static s =>
            {
                if (s.x.DType == DType.Float32) ConvParallel<float>.WeightGrad(s.geometry, s.x.F32, s.gy.F32, s.dw.F32, s.col.F32, s.partials.F32, s.parallel);
                else ConvParallel<double>.WeightGrad(s.geometry, s.x.F64, s.gy.F64, s.dw.F64, s.col.F64, s.partials.F64, s.parallel);
            });
            var g = geometry;
            return Autograd.Record(dw, OpName, [x, gy], h =>
            [
                x.RequiresGrad ? Conv2dInputGradOp.Apply(gy, h, g) : null,
                gy.RequiresGrad ? Conv2dOp.Apply(x, h, null, g) : null,
            ], SavedTensors.Inputs);
        }

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                var g = new ConvGeometry(2, 3, 6, 5, 3, 2, 3, 1, 2, 0, 1, 2, 2, 2, 1, 3);
                yield return new("op", OpName, "depthwise, stride (1, 2), padding (0, 1, 2, 2), dilation (2, 1)",
                    () => [Tensor.Uniform(g.InputShape, -1, 1, new Generator(430), DType.Float64, requiresGrad: true),
                        Tensor.Uniform(g.OutputShape, -1, 1, new Generator(431), DType.Float64, requiresGrad: true)],
                    t => Apply(t[0], t[1], g));
            }
        }
    }

    /// <summary>The gradient of conv2d with respect to its bias: the output gradient summed over images and positions, per channel.</summary>
    internal sealed class ConvBiasGradOp : OpDefinition
    {
        public const string OpName = "conv_bias_grad";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("sum of {0} per channel", ["1 at every position"], ["{g} copied to every position"], false);

        /// <summary>Sums (N, C, ...) over every dimension but the channels.</summary>
        public static Tensor Apply(Tensor gy)
        {
            var db = Tensor.Empty([gy.Shape[1]], gy.DType, OpName);
            Recording.Launch((gy, db), static s =>
            {
                int n = s.gy.Shape[0], c = s.gy.Shape[1], positions = c == 0 || n == 0 ? 0 : s.gy.Count / (n * c);
                if (s.gy.DType == DType.Float32) ConvKernels.BiasGrad<float>(n, c, positions, s.gy.F32, s.db.F32);
                else ConvKernels.BiasGrad<double>(n, c, positions, s.gy.F64, s.db.F64);
            });
            var shape = gy.ShapeArray.ToArray();
            return Autograd.Record(db, OpName, [gy], h => [ConvBiasBroadcastOp.Apply(h, shape)], SavedTensors.None);
        }

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [new("op", OpName, "(2, 3, 2, 4)", () => [Tensor.Uniform([2, 3, 2, 4], -1, 1, new Generator(440), DType.Float64, requiresGrad: true)], t => Apply(t[0]))];
    }

    /// <summary>A per-channel value copied to every image and position of a (N, C, ...) shape: the adjoint of <see cref="ConvBiasGradOp"/>.</summary>
    internal sealed class ConvBiasBroadcastOp : OpDefinition
    {
        public const string OpName = "conv_bias_broadcast";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("{0} at every position", ["1 at every position"], ["sum of {g} per channel"], false);

        public static Tensor Apply(Tensor values, int[] shape)
        {
            var y = Tensor.Empty(shape, values.DType, OpName);
            Recording.Launch((values, y), static s =>
            {
                int n = s.y.Shape[0], c = s.y.Shape[1], positions = c == 0 || n == 0 ? 0 : s.y.Count / (n * c);
                if (s.y.DType == DType.Float32) ConvKernels.BroadcastBias<float>(n, c, positions, s.values.F32, s.y.F32);
                else ConvKernels.BroadcastBias<double>(n, c, positions, s.values.F64, s.y.F64);
            });
            return Autograd.Record(y, OpName, [values], h => [ConvBiasGradOp.Apply(h)], SavedTensors.None);
        }

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [new("op", OpName, "(3,) to (2, 3, 2, 2)", () => [Tensor.Uniform([3], -1, 1, new Generator(441), DType.Float64, requiresGrad: true)], t => Apply(t[0], [2, 3, 2, 2]))];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// 2-D convolution (cross-correlation, as PyTorch's <c>F.conv2d</c>) of this (N, C, H, W) or unbatched (C, H, W)
        /// input with a (out_channels, C / groups, kH, kW) weight and an optional (out_channels,) bias.
        /// </summary>
        /// <param name="weight">The filters, (out_channels, in_channels / groups, kH, kW).</param>
        /// <param name="bias">Added to each output channel; null for none.</param>
        /// <param name="stride">The step between windows: an int or (height, width); 1 by default.</param>
        /// <param name="padding">Zeros on each side: an int, (height, width), "valid" or "same" (stride 1 only); 0 by default.</param>
        /// <param name="dilation">The spacing between kernel elements; 1 by default.</param>
        /// <param name="groups">Splits input and output channels into this many independent groups (groups = C: depthwise).</param>
        /// <exception cref="TensorShapeException">A rank, channel count or dtype does not fit, or the input is smaller than the kernel's reach.</exception>
        public Tensor Conv2d(Tensor weight, Tensor? bias = null, Size2? stride = null, ConvPadding? padding = null, Size2? dilation = null, int groups = 1) =>
            Conv2dCore("conv2d", weight, bias, stride ?? 1, padding ?? 0, dilation ?? 1, groups);

        internal Tensor Conv2dCore(string who, Tensor weight, Tensor? bias, Size2 stride, ConvPadding padding, Size2 dilation, int groups)
        {
            if (Rank == 3)
            {
                var batched = Reshape([1, .. shape]).Conv2dCore(who, weight, bias, stride, padding, dilation, groups);
                return batched.Reshape(batched.ShapeArray[1..]);
            }
            var geometry = Ops.ConvGeometry.Of(who, this, weight, bias, stride, padding, dilation, groups);
            return Ops.Conv2dOp.Apply(this, weight, bias, geometry);
        }

        /// <summary>
        /// 1-D convolution (PyTorch's <c>F.conv1d</c>) of this (N, C, L) or unbatched (C, L) input with a
        /// (out_channels, C / groups, k) weight and an optional (out_channels,) bias: the 2-D convolution with height 1.
        /// </summary>
        /// <param name="weight">The filters, (out_channels, in_channels / groups, k).</param>
        /// <param name="bias">Added to each output channel; null for none.</param>
        /// <param name="stride">The step between windows.</param>
        /// <param name="padding">Zeros on each side: an int, "valid" or "same" (stride 1 only); 0 by default.</param>
        /// <param name="dilation">The spacing between kernel elements.</param>
        /// <param name="groups">Splits input and output channels into this many independent groups.</param>
        /// <exception cref="TensorShapeException">A rank, channel count or dtype does not fit, or the input is shorter than the kernel's reach.</exception>
        public Tensor Conv1d(Tensor weight, Tensor? bias = null, int stride = 1, ConvPadding? padding = null, int dilation = 1, int groups = 1) =>
            Conv1dCore("conv1d", weight, bias, stride, padding ?? 0, dilation, groups);

        internal Tensor Conv1dCore(string who, Tensor weight, Tensor? bias, int stride, ConvPadding padding, int dilation, int groups)
        {
            ArgumentNullException.ThrowIfNull(weight);
            if (Rank == 2)
            {
                var batched = Reshape([1, .. shape]).Conv1dCore(who, weight, bias, stride, padding, dilation, groups);
                return batched.Reshape(batched.ShapeArray[1..]);
            }
            if (Rank != 3)
                throw new TensorShapeException($"{who}: expected a 3-D input (batch, channels, length) or 2-D (channels, length), got shape {Shapes.Format(Shape)}.");
            if (weight.Rank != 3)
                throw new TensorShapeException($"{who}: expected a 3-D weight (out_channels, in_channels / groups, k), got shape {Shapes.Format(weight.Shape)}.", nameof(weight));
            if (padding.Mode is null && padding.H != padding.W)
                throw new ArgumentException($"{who}: padding is one int for a 1-D convolution, got {padding}.", nameof(padding));
            if (groups > 0 && weight.Shape[1] * groups != shape[1])
                throw new TensorShapeException(
                    $"{who}: input of shape {Shapes.Format(Shape)} has {shape[1]} channels; the weight {Shapes.Format(weight.Shape)} with groups={groups} expects {weight.Shape[1] * groups}.");
            int pad = padding.Mode is null ? padding.W : 0, reach = dilation * (weight.Shape[2] - 1) + 1;
            if (padding.Mode is null && dilation > 0 && pad >= 0 && shape[2] + 2 * pad < reach)
                throw new TensorShapeException(
                    $"{who}: input of shape {Shapes.Format(Shape)} is too short for the kernel {weight.Shape[2]} with dilation {dilation} and padding {pad}: " +
                    $"the smallest length that works is {Math.Max(1, reach - 2 * pad)}.");
            var x4 = Reshape(shape[0], shape[1], 1, shape[2]);
            var w4 = weight.Reshape(weight.Shape[0], weight.Shape[1], 1, weight.Shape[2]);
            var y = x4.Conv2dCore(who, w4, bias, new Size2(1, stride), padding.Mode is null ? ConvPadding.Of(0, pad) : padding, new Size2(1, dilation), groups);
            return y.Reshape(y.Shape[0], y.Shape[1], y.Shape[3]);
        }
    }
}

using System.Numerics.Tensors;
using MyTorch.Compiled;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// y = conv_transpose2d(x, w) + b, PyTorch's <c>F.conv_transpose2d</c>: the adjoint of conv2d. It runs conv2d's
    /// input-gradient kernel on the <see cref="ConvGeometry"/> of the convolution whose input has this op's output shape
    /// (see <see cref="ConvTransposeGeometry"/>), so its gradients are conv2d (input) and conv2d's weight gradient, each
    /// differentiable in turn: double backward works.
    /// </summary>
    internal sealed class ConvTranspose2dOp : OpDefinition
    {
        public const string OpName = "conv_transpose2d";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("conv_transpose2d({0}, {1}) + {2}",
            ["conv2d((.), {1})", "{0} correlated with (.)", "1 at every position"],
            ["conv2d({g}, {1})", "{g} correlated with {0}", "sum of {g} over batch and positions"], false);

        private static readonly OpNotation WithoutBias = new("conv_transpose2d({0}, {1})",
            ["conv2d((.), {1})", "{0} correlated with (.)"], ["conv2d({g}, {1})", "{g} correlated with {0}"], false);

        public override OpNotation NotationFor(int inputs) => inputs == 2 ? WithoutBias : Notation;

        /// <summary><paramref name="geometry"/> is the convolution's: its input shape is this op's output, its output shape this op's input.</summary>
        public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias, in ConvGeometry geometry)
        {
            var y = Tensor.Empty(geometry.InputShape, x.DType, OpName);
            int slices = ConvKernels.Slices(geometry);
            var col = Tensor.Empty([slices * ConvKernels.ColumnElements(geometry)], x.DType, OpName);
            Recording.Launch((geometry, slices, x, weight, bias, y, col), static s =>
            {
                var g = s.geometry;
                int positions = g.H * g.W;
                if (s.x.DType == DType.Float32)
                {
                    ConvParallel<float>.InputGrad(g, s.x.F32, s.weight.F32, s.y.F32, s.col.F32, s.slices);
                    if (s.bias is not null) AddBias(g.N, g.C, positions, s.bias.F32, s.y.F32);
                }
                else
                {
                    ConvParallel<double>.InputGrad(g, s.x.F64, s.weight.F64, s.y.F64, s.col.F64, s.slices);
                    if (s.bias is not null) AddBias(g.N, g.C, positions, s.bias.F64, s.y.F64);
                }
            });
            var geo = geometry;
            return Autograd.Record(y, OpName, bias is null ? [x, weight] : [x, weight, bias], grad =>
            {
                var dx = x.RequiresGrad ? Conv2dOp.Apply(grad, weight, null, geo) : null;
                var dw = weight.RequiresGrad ? Conv2dWeightGradOp.Apply(grad, x, geo) : null;
                if (bias is null) return [dx, dw];
                return [dx, dw, bias.RequiresGrad ? ConvBiasGradOp.Apply(grad) : null];
            }, SavedTensors.Inputs);
        }

        private static void AddBias<T>(int n, int channels, int positions, ReadOnlySpan<T> bias, Span<T> y) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            for (int i = 0; i < n; i++)
                for (int o = 0; o < channels; o++)
                {
                    var plane = y.Slice((i * channels + o) * positions, positions);
                    TensorPrimitives.Add(plane, bias[o], plane);
                }
        }

        private static Tensor R(ulong seed, params int[] shape) =>
            Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", OpName, "(2, 3, 3, 4) * (3, 2, 3, 2) + bias, stride (2, 1), padding (1, 0), output_padding (1, 0)",
                () => [R(460, 2, 3, 3, 4), R(461, 3, 2, 3, 2), R(462, 2)], t => t[0].ConvTranspose2d(t[1], t[2], (2, 1), (1, 0), (1, 0))),
            new("op", OpName, "groups 2, dilation 2, output_padding 1 (below the dilation, at the stride)",
                () => [R(463, 1, 4, 3, 3), R(464, 4, 3, 2, 2)], t => t[0].ConvTranspose2d(t[1], null, 1, 0, 1, groups: 2, dilation: 2)),
            new("op", OpName, "pointwise (2, 3, 2, 3) * (3, 2, 1, 1)", () => [R(465, 2, 3, 2, 3), R(466, 3, 2, 1, 1)], t => t[0].ConvTranspose2d(t[1])),
            new("op", OpName, "conv_transpose1d: (2, 2, 4) * (2, 3, 3) + bias, stride 3, padding 1, output_padding 2",
                () => [R(467, 2, 2, 4), R(468, 2, 3, 3), R(469, 3)], t => t[0].ConvTranspose1d(t[1], t[2], 3, 1, 2)),
        ];
    }

    /// <summary>The geometry of a transposed convolution, checked as PyTorch checks it.</summary>
    internal static class ConvTransposeGeometry
    {
        /// <summary>
        /// The <see cref="ConvGeometry"/> of the convolution that <c>conv_transpose2d(x, weight)</c> is the adjoint of:
        /// input (N, out_channels, OH, OW) with OH = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1,
        /// weight (in_channels, out_channels / groups, kH, kW) read as conv2d's (OC, C / groups, kH, kW), and the bottom and
        /// right padding reduced by output_padding so that the convolution's output is exactly (H, W).
        /// </summary>
        public static ConvGeometry Of(string who, Tensor x, Tensor weight, Tensor? bias, Size2 stride, Size2 padding, Size2 outputPadding, Size2 dilation, int groups)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(weight);
            if (x.Rank != 4)
                throw new TensorShapeException($"{who}: expected a 4-D input (batch, channels, height, width), got shape {Shapes.Format(x.Shape)}.");
            if (weight.Rank != 4)
                throw new TensorShapeException($"{who}: expected a 4-D weight (in_channels, out_channels / groups, kH, kW), got shape {Shapes.Format(weight.Shape)}.", nameof(weight));
            if (!x.DType.IsFloatingPoint()) throw new TensorShapeException($"{who}: expected a float32 or float64 input, got {x.DType.Name()}.");
            if (x.DType != weight.DType) Tensor.ThrowDTypeMismatch(who, x, weight);
            if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{who}: groups must be positive.");
            if (stride.H <= 0 || stride.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{who}: stride must be positive, got {stride.Pair}.");
            if (dilation.H <= 0 || dilation.W <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"{who}: dilation must be positive, got {dilation.Pair}.");
            if (padding.H < 0 || padding.W < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{who}: padding must be non-negative, got {padding.Pair}.");
            if (outputPadding.H < 0 || outputPadding.W < 0 || outputPadding.H >= Math.Max(stride.H, dilation.H) || outputPadding.W >= Math.Max(stride.W, dilation.W))
                throw new ArgumentOutOfRangeException(nameof(outputPadding), outputPadding,
                    $"{who}: output_padding {outputPadding.Pair} must be non-negative and smaller than either the stride {stride.Pair} or the dilation {dilation.Pair}, as in PyTorch.");
            int inChannels = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
            int outChannels = weight.Shape[1] * groups;
            if (weight.Shape[1] == 0 || kh == 0 || kw == 0 || inChannels == 0)
                throw new TensorShapeException($"{who}: the weight of shape {Shapes.Format(weight.Shape)} has an empty dimension.", nameof(weight));
            if (inChannels % groups != 0)
                throw new TensorShapeException($"{who}: in_channels {inChannels} (weight {Shapes.Format(weight.Shape)}) is not divisible by groups {groups}.", nameof(weight));
            if (x.Shape[1] != inChannels)
                throw new TensorShapeException(
                    $"{who}: input of shape {Shapes.Format(x.Shape)} has {x.Shape[1]} channels; the weight {Shapes.Format(weight.Shape)} expects {inChannels}.");
            if (bias is not null)
            {
                if (bias.Rank != 1 || bias.Shape[0] != outChannels)
                    throw new TensorShapeException($"{who}: expected a bias of shape ({outChannels},), got {Shapes.Format(bias.Shape)}.", nameof(bias));
                if (bias.DType != x.DType) Tensor.ThrowDTypeMismatch(who, x, bias);
            }
            int reachH = dilation.H * (kh - 1) + 1, reachW = dilation.W * (kw - 1) + 1;
            long oh = (long)(x.Shape[2] - 1) * stride.H - 2L * padding.H + reachH + outputPadding.H;
            long ow = (long)(x.Shape[3] - 1) * stride.W - 2L * padding.W + reachW + outputPadding.W;
            if (x.Shape[2] < 1 || x.Shape[3] < 1 || oh < 1 || ow < 1)
                throw new TensorShapeException(
                    $"{who}: input of shape {Shapes.Format(x.Shape)} gives an empty output ({oh}, {ow}) for the kernel ({kh}, {kw}) with stride {stride.Pair}, " +
                    $"padding {padding.Pair} and dilation {dilation.Pair}: the smallest input size that works is " +
                    $"({Smallest(padding.H, reachH, outputPadding.H, stride.H)}, {Smallest(padding.W, reachW, outputPadding.W, stride.W)}).");
            return new ConvGeometry(x.Shape[0], outChannels, (int)oh, (int)ow, inChannels, kh, kw, stride.H, stride.W,
                padding.H, padding.H - outputPadding.H, padding.W, padding.W - outputPadding.W, dilation.H, dilation.W, groups);
        }

        /// <summary>The smallest input length whose transposed-convolution output is at least 1.</summary>
        private static int Smallest(int padding, int reach, int outputPadding, int stride)
        {
            int deficit = 2 * padding - reach - outputPadding + 1; // (h - 1) stride must reach it
            return deficit <= 0 ? 1 : 1 + (deficit + stride - 1) / stride;
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// 2-D transposed convolution (PyTorch's <c>F.conv_transpose2d</c>, the adjoint of <see cref="Conv2d"/>) of this
        /// (N, in_channels, H, W) or unbatched (in_channels, H, W) input with an (in_channels, out_channels / groups, kH, kW)
        /// weight and an optional (out_channels,) bias. The output is (N, out_channels, OH, OW),
        /// OH = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1.
        /// </summary>
        /// <param name="weight">The filters, (in_channels, out_channels / groups, kH, kW).</param>
        /// <param name="bias">Added to each output channel; null for none.</param>
        /// <param name="stride">The step between input positions in the output; 1 by default.</param>
        /// <param name="padding">dilation (k - 1) - padding zeros on each side of the implicit input; 0 by default.</param>
        /// <param name="outputPadding">Extra rows and columns at the bottom and right of the output, smaller than the stride or the dilation; 0 by default.</param>
        /// <param name="groups">Independent channel groups.</param>
        /// <param name="dilation">The spacing between kernel elements; 1 by default.</param>
        /// <exception cref="TensorShapeException">A rank, channel count or dtype does not fit, or the output would be empty.</exception>
        public Tensor ConvTranspose2d(Tensor weight, Tensor? bias = null, Size2? stride = null, Size2? padding = null, Size2? outputPadding = null,
            int groups = 1, Size2? dilation = null) =>
            ConvTranspose2dCore("conv_transpose2d", weight, bias, stride ?? 1, padding ?? 0, outputPadding ?? 0, dilation ?? 1, groups);

        internal Tensor ConvTranspose2dCore(string who, Tensor weight, Tensor? bias, Size2 stride, Size2 padding, Size2 outputPadding, Size2 dilation, int groups)
        {
            if (Rank == 3)
            {
                var batched = Reshape([1, .. shape]).ConvTranspose2dCore(who, weight, bias, stride, padding, outputPadding, dilation, groups);
                return batched.Reshape(batched.ShapeArray[1..]);
            }
            var geometry = Ops.ConvTransposeGeometry.Of(who, this, weight, bias, stride, padding, outputPadding, dilation, groups);
            return Ops.ConvTranspose2dOp.Apply(this, weight, bias, geometry);
        }

        /// <summary>
        /// 1-D transposed convolution (PyTorch's <c>F.conv_transpose1d</c>) of this (N, in_channels, L) or unbatched
        /// (in_channels, L) input with an (in_channels, out_channels / groups, k) weight: the 2-D one with height 1.
        /// </summary>
        /// <param name="weight">The filters, (in_channels, out_channels / groups, k).</param>
        /// <param name="bias">Added to each output channel; null for none.</param>
        /// <param name="stride">The step between input positions in the output.</param>
        /// <param name="padding">dilation (k - 1) - padding zeros on each side of the implicit input.</param>
        /// <param name="outputPadding">Extra positions at the end of the output, smaller than the stride or the dilation.</param>
        /// <param name="groups">Independent channel groups.</param>
        /// <param name="dilation">The spacing between kernel elements.</param>
        /// <exception cref="TensorShapeException">A rank, channel count or dtype does not fit, or the output would be empty.</exception>
        public Tensor ConvTranspose1d(Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int outputPadding = 0, int groups = 1, int dilation = 1) =>
            ConvTranspose1dCore("conv_transpose1d", weight, bias, stride, padding, outputPadding, dilation, groups);

        internal Tensor ConvTranspose1dCore(string who, Tensor weight, Tensor? bias, int stride, int padding, int outputPadding, int dilation, int groups)
        {
            ArgumentNullException.ThrowIfNull(weight);
            if (Rank == 2)
            {
                var batched = Reshape([1, .. shape]).ConvTranspose1dCore(who, weight, bias, stride, padding, outputPadding, dilation, groups);
                return batched.Reshape(batched.ShapeArray[1..]);
            }
            if (Rank != 3)
                throw new TensorShapeException($"{who}: expected a 3-D input (batch, channels, length) or 2-D (channels, length), got shape {Shapes.Format(Shape)}.");
            if (weight.Rank != 3)
                throw new TensorShapeException($"{who}: expected a 3-D weight (in_channels, out_channels / groups, k), got shape {Shapes.Format(weight.Shape)}.", nameof(weight));
            int reach = dilation * (weight.Shape[2] - 1) + 1;
            long length = (long)(shape[2] - 1) * stride - 2L * padding + reach + outputPadding;
            if (stride > 0 && dilation > 0 && padding >= 0 && outputPadding >= 0 && (shape[2] < 1 || length < 1))
            {
                int deficit = 2 * padding - reach - outputPadding + 1;
                throw new TensorShapeException(
                    $"{who}: input of shape {Shapes.Format(Shape)} gives an empty output (length {length}) for the kernel {weight.Shape[2]} with stride {stride}, " +
                    $"padding {padding} and dilation {dilation}: the smallest length that works is {(deficit <= 0 ? 1 : 1 + (deficit + stride - 1) / stride)}.");
            }
            var x4 = Reshape(shape[0], shape[1], 1, shape[2]);
            var w4 = weight.Reshape(weight.Shape[0], weight.Shape[1], 1, weight.Shape[2]);
            var y = x4.ConvTranspose2dCore(who, w4, bias, new Size2(1, stride), new Size2(0, padding), new Size2(0, outputPadding), new Size2(1, dilation), groups);
            return y.Reshape(y.Shape[0], y.Shape[1], y.Shape[3]);
        }
    }
}

using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// PyTorch's <c>F.interpolate</c> in modes nearest (legacy "nearest", as nn.Upsample's default), linear and bilinear,
    /// written as index_select along each spatial axis (and for the linear modes a weighted sum of the two neighbours), so
    /// its gradient, its double backward and the recorded fast path are those ops'. Axes are resampled last one first, so
    /// bilinear sums in PyTorch's order: h0 (w0 x00 + w1 x01) + h1 (w0 x10 + w1 x11).
    /// </summary>
    internal sealed class InterpolateOp : OpDefinition
    {
        public const string OpName = "interpolate";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("interpolate({0})", ["the interpolation weights"], ["{g} spread back by the interpolation weights"], false);

        private static Tensor R(ulong seed, params int[] shape) => Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", OpName, "nearest (2, 2, 3, 4) x (2, 1.5)", () => [R(480, 2, 2, 3, 4)], t => t[0].Interpolate(scaleFactor: (2, 1.5))),
            new("op", OpName, "bilinear (1, 2, 3, 4) to (5, 7)", () => [R(481, 1, 2, 3, 4)], t => t[0].Interpolate(size: (5, 7), mode: "bilinear")),
            new("op", OpName, "bilinear align_corners (1, 2, 4, 3) to (3, 6)", () => [R(482, 1, 2, 4, 3)], t => t[0].Interpolate(size: (3, 6), mode: "bilinear", alignCorners: true)),
            new("op", OpName, "linear (2, 2, 5) x 2.5", () => [R(483, 2, 2, 5)], t => t[0].Interpolate(scaleFactor: 2.5, mode: "linear")),
        ];

        /// <summary>PyTorch's area_pixel_compute_scale: the source step per output position.</summary>
        private static double Scale(int input, int output, bool alignCorners, double? scaleFactor) =>
            alignCorners ? (output > 1 ? (input - 1) / (double)(output - 1) : 0) : scaleFactor is > 0 ? 1 / scaleFactor.Value : input / (double)output;

        /// <summary>Nearest: output i reads input min(floor(i * scale), in - 1), with the scale in single precision as PyTorch's CPU kernel.</summary>
        public static Tensor Nearest(Tensor x, int dim, int output, double? scaleFactor)
        {
            int input = x.Shape[dim];
            float scale = scaleFactor is > 0 ? (float)(1 / scaleFactor.Value) : (float)input / output;
            var index = new long[output];
            for (int i = 0; i < output; i++)
                index[i] = output == input ? i : output == 2 * input ? i >> 1 : Math.Min((long)MathF.Floor(i * scale), input - 1);
            return x.IndexSelect(dim, Tensor.FromArray(index));
        }

        /// <summary>Linear along <paramref name="dim"/>: output i = (1 - l) x[i0] + l x[i0 + 1] at the source position PyTorch computes.</summary>
        public static Tensor Linear(Tensor x, int dim, int output, bool alignCorners, double? scaleFactor)
        {
            int input = x.Shape[dim];
            double scale = Scale(input, output, alignCorners, scaleFactor);
            var low = new long[output];
            var high = new long[output];
            var lowWeight = new double[output];
            var highWeight = new double[output];
            for (int i = 0; i < output; i++)
            {
                double source = alignCorners ? scale * i : Math.Max(scale * (i + 0.5) - 0.5, 0);
                if (x.DType == DType.Float32)
                    source = alignCorners ? (float)scale * i : Math.Max((float)scale * (i + 0.5f) - 0.5f, 0f);
                int i0 = Math.Min((int)source, input - 1);
                low[i] = i0;
                high[i] = i0 + (i0 < input - 1 ? 1 : 0);
                double lambda = source - i0;
                highWeight[i] = lambda;
                lowWeight[i] = 1 - lambda;
            }
            int[] weightShape = [output, .. Enumerable.Repeat(1, x.Rank - 1 - dim)];
            var w0 = Tensor.FromArray(lowWeight, weightShape).To(x.DType);
            var w1 = Tensor.FromArray(highWeight, weightShape).To(x.DType);
            return x.IndexSelect(dim, Tensor.FromArray(low)) * w0 + x.IndexSelect(dim, Tensor.FromArray(high)) * w1;
        }
    }

    /// <summary>
    /// The integer-factor resampling of strided convolution: <c>downsample</c> keeps every factor-th row and column
    /// (a stride-factor convolution is a stride-1 one followed by it), and <c>upsample_zeros</c> its adjoint, each input
    /// element at (i factor, j factor) of a factor-times larger output with zeros between (a stride's input gradient is
    /// the stride-1 one of the zero-dilated output gradient). Written as index_select and index_add into zeros.
    /// </summary>
    internal sealed class StrideResampleOp : OpDefinition
    {
        public const string OpName = "downsample";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("{0}[::factor]", ["1 at the kept positions"], ["{g} at the kept positions, zeros between"], false);

        private static Tensor R(ulong seed, params int[] shape) => Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", OpName, "downsample2d (2, 2, 5, 6) by 2", () => [R(484, 2, 2, 5, 6)], t => t[0].Downsample2d(2)),
            new("op", OpName, "upsample2d zeros (1, 2, 3, 2) by 3", () => [R(485, 1, 2, 3, 2)], t => t[0].Upsample2d(3)),
            new("op", OpName, "downsample1d (2, 3, 7) by 3, upsample1d by 2", () => [R(486, 2, 3, 7)], t => t[0].Downsample1d(3).Upsample1d(2)),
        ];

        public static Tensor Every(int size, int factor)
        {
            var index = new long[(size + factor - 1) / factor];
            for (int i = 0; i < index.Length; i++) index[i] = (long)i * factor;
            return Tensor.FromArray(index);
        }

        public static Tensor Down(Tensor x, int dim, int factor) => x.IndexSelect(dim, Every(x.Shape[dim], factor));

        public static Tensor Up(Tensor x, int dim, int factor)
        {
            var shape = x.ShapeArray.ToArray();
            shape[dim] *= factor;
            return Tensor.Zeros(shape, x.DType).IndexAdd(dim, Every(shape[dim], factor), x);
        }
    }
}

namespace MyTorch
{
    /// <summary>A floating-point factor per spatial axis of a 2-D resampling (an int or double is the same on both axes).</summary>
    /// <param name="H">The factor along the height.</param>
    /// <param name="W">The factor along the width.</param>
    public readonly record struct Scale2(double H, double W)
    {
        /// <summary>The same factor on both axes.</summary>
        public static implicit operator Scale2(double factor) => new(factor, factor);

        /// <summary>(height, width).</summary>
        public static implicit operator Scale2((double H, double W) factor) => new(factor.H, factor.W);

        /// <summary>The same factor on both axes.</summary>
        public static Scale2 FromDouble(double factor) => new(factor, factor);

        /// <summary>(height, width).</summary>
        public static Scale2 FromValueTuple((double H, double W) factor) => new(factor.H, factor.W);
    }

    public sealed partial class Tensor
    {
        /// <summary>
        /// Resamples this (N, C, L) or (N, C, H, W) input, PyTorch's <c>F.interpolate</c>: to <paramref name="size"/>, or
        /// by <paramref name="scaleFactor"/> (output floor(in * factor), the factor itself used for the source positions, as
        /// PyTorch does without recompute_scale_factor). Modes: "nearest" (source floor(i / factor)), "linear" (3-D) and
        /// "bilinear" (4-D), with <paramref name="alignCorners"/> as PyTorch's.
        /// </summary>
        /// <param name="size">The output's spatial size ((H, W), or the length as (1, L) for 3-D input); null when <paramref name="scaleFactor"/> is given.</param>
        /// <param name="scaleFactor">The factor per axis; null when <paramref name="size"/> is given.</param>
        /// <param name="mode">"nearest", "linear" or "bilinear".</param>
        /// <param name="alignCorners">For the linear modes: corner pixels' centres map to each other; false (PyTorch's default) when null.</param>
        /// <exception cref="TensorShapeException">The rank does not fit the mode, or the output would be empty.</exception>
        public Tensor Interpolate(Size2? size = null, Scale2? scaleFactor = null, string mode = "nearest", bool? alignCorners = null) =>
            InterpolateCore("interpolate", size, scaleFactor, mode, alignCorners);

        internal Tensor InterpolateCore(string who, Size2? size, Scale2? scaleFactor, string mode, bool? alignCorners)
        {
            ArgumentNullException.ThrowIfNull(mode);
            if ((size is null) == (scaleFactor is null))
                throw new ArgumentException($"{who}: give exactly one of size and scale_factor, as in PyTorch.", nameof(size));
            bool linear = mode is "linear" or "bilinear";
            if (mode is not ("nearest" or "linear" or "bilinear"))
                throw new ArgumentException($"{who}: mode must be \"nearest\", \"linear\" or \"bilinear\", got \"{mode}\".", nameof(mode));
            if (alignCorners is not null && !linear)
                throw new ArgumentException($"{who}: align_corners applies to the linear modes only, as in PyTorch.", nameof(alignCorners));
            int spatial = mode == "linear" ? 1 : mode == "bilinear" ? 2 : Rank - 2;
            if (Rank != spatial + 2 || spatial is not (1 or 2))
                throw new TensorShapeException(
                    $"{who}: mode \"{mode}\" expects a {(mode == "linear" ? "3-D (batch, channels, length)" : mode == "bilinear" ? "4-D (batch, channels, height, width)" : "3-D or 4-D")} input, got shape {Shapes.Format(Shape)}.");
            if (!DType.IsFloatingPoint()) throw new TensorShapeException($"{who}: expected a float32 or float64 input, got {DType.Name()}.");
            var y = this;
            for (int axis = spatial - 1; axis >= 0; axis--)
            {
                int dim = 2 + axis, input = shape[dim];
                bool width = axis == spatial - 1;
                double? factor = scaleFactor is { } f ? (width ? f.W : f.H) : null;
                if (factor is <= 0) throw new ArgumentOutOfRangeException(nameof(scaleFactor), factor, $"{who}: scale_factor must be positive.");
                int output = size is { } s ? (width ? s.W : s.H) : (int)Math.Floor(input * factor!.Value);
                if (input < 1 || output < 1)
                    throw new TensorShapeException(
                        $"{who}: input of shape {Shapes.Format(Shape)} gives an empty output (size {output} along dimension {dim})" +
                        (factor is { } fa ? $" for scale_factor {fa}: the smallest size that works is {Math.Max(1, (int)Math.Ceiling(1 / fa))}." : "; every size must be positive."));
                y = linear ? Ops.InterpolateOp.Linear(y, dim, output, alignCorners ?? false, factor) : Ops.InterpolateOp.Nearest(y, dim, output, factor);
            }
            return y;
        }

        /// <summary>
        /// Keeps every <paramref name="factor"/>-th row and column of this (N, C, H, W) input (rows 0, factor, 2 factor,
        /// ...): (N, C, ceil(H / factor), ceil(W / factor)), PyTorch's <c>x[:, :, ::factor, ::factor]</c>.
        /// </summary>
        /// <param name="factor">The step, at least 1.</param>
        public Tensor Downsample2d(int factor) => StrideResample("downsample2d", 4, factor, up: false);

        /// <summary>Keeps every <paramref name="factor"/>-th position of this (N, C, L) input: <c>x[:, :, ::factor]</c>.</summary>
        /// <param name="factor">The step, at least 1.</param>
        public Tensor Downsample1d(int factor) => StrideResample("downsample1d", 3, factor, up: false);

        /// <summary>
        /// Dilates this (N, C, H, W) input by <paramref name="factor"/>: (N, C, H factor, W factor) with x[i, j] at
        /// (i factor, j factor) and zeros elsewhere; the adjoint of <see cref="Downsample2d"/> (Downsample2d(Upsample2d(x)) = x).
        /// </summary>
        /// <param name="factor">The dilation, at least 1.</param>
        public Tensor Upsample2d(int factor) => StrideResample("upsample2d", 4, factor, up: true);

        /// <summary>Dilates this (N, C, L) input by <paramref name="factor"/> with zeros: (N, C, L factor), x[i] at i factor.</summary>
        /// <param name="factor">The dilation, at least 1.</param>
        public Tensor Upsample1d(int factor) => StrideResample("upsample1d", 3, factor, up: true);

        internal Tensor StrideResample(string who, int rank, int factor, bool up)
        {
            if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, $"{who}: factor must be at least 1.");
            if (Rank != rank)
                throw new TensorShapeException(
                    $"{who}: expected a {(rank == 4 ? "4-D input (batch, channels, height, width)" : "3-D input (batch, channels, length)")}, got shape {Shapes.Format(Shape)}.");
            var y = this;
            for (int dim = 2; dim < rank; dim++)
                y = up ? Ops.StrideResampleOp.Up(y, dim, factor) : Ops.StrideResampleOp.Down(y, dim, factor);
            return y;
        }
    }
}

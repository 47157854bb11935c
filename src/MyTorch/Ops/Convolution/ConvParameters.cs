using System.Globalization;

namespace MyTorch
{
    /// <summary>
    /// A size per spatial axis of a 2-D layer (kernel, stride, padding, dilation), as PyTorch's <c>int or (int, int)</c>
    /// arguments: an <see cref="int"/> is the same size on both axes, a tuple is (height, width).
    /// </summary>
    /// <param name="H">The size along the height (rows).</param>
    /// <param name="W">The size along the width (columns).</param>
    public readonly record struct Size2(int H, int W)
    {
        /// <summary>The same size on both axes.</summary>
        public static implicit operator Size2(int size) => new(size, size);

        /// <summary>(height, width).</summary>
        public static implicit operator Size2((int H, int W) size) => new(size.H, size.W);

        /// <summary>The same size on both axes.</summary>
        public static Size2 FromInt32(int size) => new(size, size);

        /// <summary>(height, width).</summary>
        public static Size2 FromValueTuple((int H, int W) size) => new(size.H, size.W);

        /// <summary>PyTorch's way of writing it: <c>3</c> or <c>(3, 5)</c>.</summary>
        public override string ToString() => H == W ? H.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"({H}, {W})");

        internal string Pair => string.Create(CultureInfo.InvariantCulture, $"({H}, {W})");
    }

    /// <summary>
    /// A convolution's padding, as PyTorch's <c>padding</c> argument: zeros added on both sides of each spatial axis (an
    /// <see cref="int"/> or (height, width)), or <c>"valid"</c> (none) or <c>"same"</c> (the output as large as the input;
    /// stride 1 only; where the kernel's reach d (k - 1) is odd, the extra zero goes at the end, as in PyTorch).
    /// </summary>
    public readonly record struct ConvPadding
    {
        private ConvPadding(int h, int w, string? mode) => (H, W, Mode) = (h, w, mode);

        /// <summary>Zeros added above and below.</summary>
        public int H { get; }

        /// <summary>Zeros added left and right.</summary>
        public int W { get; }

        /// <summary>"same" or "valid" for a named padding; null for explicit sizes.</summary>
        public string? Mode { get; }

        /// <summary>The output as large as the input (stride 1 only).</summary>
        public static ConvPadding Same { get; } = new(0, 0, "same");

        /// <summary>No padding.</summary>
        public static ConvPadding Valid { get; } = new(0, 0, "valid");

        /// <summary>Explicit padding per axis.</summary>
        public static ConvPadding Of(int h, int w) => new(h, w, null);

        /// <summary>The same padding on both axes.</summary>
        public static implicit operator ConvPadding(int padding) => new(padding, padding, null);

        /// <summary>(height, width).</summary>
        public static implicit operator ConvPadding((int H, int W) padding) => new(padding.H, padding.W, null);

        /// <summary>"same" or "valid".</summary>
        public static implicit operator ConvPadding(string mode) => FromString(mode);

        /// <summary>The same padding on both axes.</summary>
        public static ConvPadding FromInt32(int padding) => new(padding, padding, null);

        /// <summary>"same" or "valid" (any case).</summary>
        public static ConvPadding FromString(string mode)
        {
            ArgumentNullException.ThrowIfNull(mode);
            return mode.ToLowerInvariant() switch
            {
                "same" => Same,
                "valid" => Valid,
                _ => throw new ArgumentException($"padding: expected \"same\", \"valid\", an int or (int, int), got \"{mode}\".", nameof(mode)),
            };
        }

        /// <summary>PyTorch's way of writing it.</summary>
        public override string ToString() =>
            Mode is not null ? $"'{Mode}'" : H == W ? H.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"({H}, {W})");
    }
}

namespace MyTorch.Ops
{
    /// <summary>
    /// Everything a 2-D convolution kernel needs about one call: the input (N, C, H, W), the weight (OC, C / groups, KH, KW),
    /// stride, padding before and after each axis (unequal only for "same" with an even reach), dilation, groups, and the
    /// output size (OH, OW). A 1-D convolution is this with H = KH = 1.
    /// </summary>
    internal readonly record struct ConvGeometry(int N, int C, int H, int W, int OC, int KH, int KW, int SH, int SW,
        int PadTop, int PadBottom, int PadLeft, int PadRight, int DH, int DW, int Groups)
    {
        public int OH => (H + PadTop + PadBottom - DH * (KH - 1) - 1) / SH + 1;

        public int OW => (W + PadLeft + PadRight - DW * (KW - 1) - 1) / SW + 1;

        /// <summary>Input channels per group.</summary>
        public int GroupChannels => C / Groups;

        /// <summary>Output channels per group.</summary>
        public int GroupOutputs => OC / Groups;

        /// <summary>Rows of a group's column buffer (and columns of its weight matrix): C / groups * KH * KW.</summary>
        public int Patch => C / Groups * KH * KW;

        /// <summary>A 1x1 kernel with stride 1 and no padding: the input planes are the column buffer, no copy needed.</summary>
        public bool IsPointwise => KH == 1 && KW == 1 && SH == 1 && SW == 1 && (PadTop | PadBottom | PadLeft | PadRight) == 0;

        public int[] InputShape => [N, C, H, W];

        public int[] WeightShape => [OC, C / Groups, KH, KW];

        public int[] OutputShape => [N, OC, OH, OW];

        /// <summary>
        /// The geometry of <c>conv2d(x, w)</c>, checked: ranks, channel counts, groups, positive strides and dilations,
        /// non-negative padding, and an input at least as large as the kernel's reach. <paramref name="who"/> names the layer
        /// or op in messages.
        /// </summary>
        public static ConvGeometry Of(string who, Tensor x, Tensor weight, Tensor? bias, Size2 stride, ConvPadding padding, Size2 dilation, int groups)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(weight);
            if (x.Rank != 4)
                throw new TensorShapeException($"{who}: expected a 4-D input (batch, channels, height, width), got shape {Shapes.Format(x.Shape)}.");
            if (weight.Rank != 4)
                throw new TensorShapeException($"{who}: expected a 4-D weight (out_channels, in_channels / groups, kH, kW), got shape {Shapes.Format(weight.Shape)}.", nameof(weight));
            if (!x.DType.IsFloatingPoint()) throw new TensorShapeException($"{who}: expected a float32 or float64 input, got {x.DType.Name()}.");
            if (x.DType != weight.DType) Tensor.ThrowDTypeMismatch(who, x, weight);
            if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{who}: groups must be positive.");
            if (stride.H <= 0 || stride.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{who}: stride must be positive, got {stride.Pair}.");
            if (dilation.H <= 0 || dilation.W <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"{who}: dilation must be positive, got {dilation.Pair}.");
            int oc = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
            if (oc == 0 || kh == 0 || kw == 0 || weight.Shape[1] == 0)
                throw new TensorShapeException($"{who}: the weight of shape {Shapes.Format(weight.Shape)} has an empty dimension.", nameof(weight));
            if (oc % groups != 0)
                throw new TensorShapeException($"{who}: out_channels {oc} (weight {Shapes.Format(weight.Shape)}) is not divisible by groups {groups}.", nameof(weight));
            if (x.Shape[1] != weight.Shape[1] * groups)
                throw new TensorShapeException(
                    $"{who}: input of shape {Shapes.Format(x.Shape)} has {x.Shape[1]} channels; the weight {Shapes.Format(weight.Shape)} with groups={groups} expects {weight.Shape[1] * groups}.");
            if (bias is not null)
            {
                if (bias.Rank != 1 || bias.Shape[0] != oc)
                    throw new TensorShapeException($"{who}: expected a bias of shape ({oc},), got {Shapes.Format(bias.Shape)}.", nameof(bias));
                if (bias.DType != x.DType) Tensor.ThrowDTypeMismatch(who, x, bias);
            }
            int top, bottom, left, right;
            if (padding.Mode == "same")
            {
                if (stride.H != 1 || stride.W != 1)
                    throw new ArgumentException($"{who}: padding='same' is not supported for strided convolutions (stride {stride.Pair}), as in PyTorch.", nameof(padding));
                int totalH = dilation.H * (kh - 1), totalW = dilation.W * (kw - 1);
                (top, bottom, left, right) = (totalH / 2, totalH - totalH / 2, totalW / 2, totalW - totalW / 2);
            }
            else
            {
                if (padding.H < 0 || padding.W < 0)
                    throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{who}: padding must be non-negative, got {padding}.");
                (top, bottom, left, right) = (padding.H, padding.H, padding.W, padding.W);
            }
            var geometry = new ConvGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], oc, kh, kw, stride.H, stride.W,
                top, bottom, left, right, dilation.H, dilation.W, groups);
            int reachH = dilation.H * (kh - 1) + 1, reachW = dilation.W * (kw - 1) + 1;
            if (x.Shape[2] + top + bottom < reachH || x.Shape[3] + left + right < reachW)
                throw new TensorShapeException(
                    $"{who}: input of shape {Shapes.Format(x.Shape)} is too small for the kernel ({kh}, {kw}) with dilation {dilation.Pair} and padding {padding}: " +
                    $"the smallest input size that works is ({Math.Max(1, reachH - top - bottom)}, {Math.Max(1, reachW - left - right)}).");
            return geometry;
        }
    }
}

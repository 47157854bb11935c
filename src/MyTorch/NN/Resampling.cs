using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Adaptive 2-D max pooling, PyTorch's <c>nn.AdaptiveMaxPool2d</c> (without <c>return_indices</c>): any (N, C, H, W) or
/// (C, H, W) input to (N, C, OH, OW); output (i, j) is the maximum of rows [floor(i H / OH), ceil((i + 1) H / OH)) and
/// likewise columns, and the gradient goes to it (the first on ties).
/// </summary>
/// <param name="outputSize">(OH, OW), or one int for both.</param>
public sealed class AdaptiveMaxPool2d(Size2 outputSize) : Module
{
    private string? label;

    /// <summary>The output's spatial size.</summary>
    public Size2 OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.AdaptiveMaxPool2dCore(label ??= OneLineDescription, OutputSize);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => $"output_size={OutputSize}";
}

/// <summary>Adaptive 1-D max pooling, PyTorch's <c>nn.AdaptiveMaxPool1d</c>: any (N, C, L) or (C, L) input to length <paramref name="outputSize"/>.</summary>
/// <param name="outputSize">The output length.</param>
public sealed class AdaptiveMaxPool1d(int outputSize) : Module
{
    private string? label;

    /// <summary>The output length.</summary>
    public int OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.AdaptiveMaxPool1dCore(label ??= OneLineDescription, OutputSize);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"output_size={OutputSize}");
}

/// <summary>
/// Resampling, PyTorch's <c>nn.Upsample</c> (<c>F.interpolate</c>): (N, C, L) or (N, C, H, W) to the given size or by
/// the given factor, in mode "nearest" (the default), "linear" (3-D) or "bilinear" (4-D, with align_corners).
/// </summary>
public sealed class Upsample : Module
{
    private string? label;

    /// <summary>Creates the layer; give exactly one of <paramref name="size"/> and <paramref name="scaleFactor"/>.</summary>
    /// <param name="size">The output's spatial size ((H, W); (1, L) for 3-D input).</param>
    /// <param name="scaleFactor">The factor per axis (output floor(in * factor)).</param>
    /// <param name="mode">"nearest", "linear" or "bilinear".</param>
    /// <param name="alignCorners">For the linear modes; false when null, as PyTorch's.</param>
    public Upsample(Size2? size = null, Scale2? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        if ((size is null) == (scaleFactor is null)) throw new ArgumentException("Upsample: give exactly one of size and scale_factor, as in PyTorch.", nameof(size));
        if (mode is not ("nearest" or "linear" or "bilinear"))
            throw new ArgumentException($"Upsample: mode must be \"nearest\", \"linear\" or \"bilinear\", got \"{mode}\".", nameof(mode));
        Size = size;
        ScaleFactor = scaleFactor;
        Mode = mode;
        AlignCorners = alignCorners;
    }

    /// <summary>The output's spatial size, or null when a factor is given.</summary>
    public Size2? Size { get; }

    /// <summary>The factor per axis, or null when a size is given.</summary>
    public Scale2? ScaleFactor { get; }

    /// <summary>"nearest", "linear" or "bilinear".</summary>
    public string Mode { get; }

    /// <summary>Whether the linear modes align the corner pixels; null: false.</summary>
    public bool? AlignCorners { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.InterpolateCore(label ??= OneLineDescription, Size, ScaleFactor, Mode, AlignCorners);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription
    {
        get
        {
            string what = ScaleFactor is { } f
                ? (f.H == f.W ? string.Create(CultureInfo.InvariantCulture, $"scale_factor={f.W:0.0###}") : string.Create(CultureInfo.InvariantCulture, $"scale_factor=({f.H:0.0###}, {f.W:0.0###})"))
                : $"size={Size!.Value.Pair}";
            return $"{what}, mode='{Mode}'" + (AlignCorners is { } a ? $", align_corners={PoolShapes.Python(a)}" : "");
        }
    }
}

/// <summary>
/// Keeps every factor-th row and column of (N, C, H, W) input, <c>x[:, :, ::factor, ::factor]</c>: the decimation a
/// stride-factor convolution is made of (a stride-1 convolution, then this).
/// </summary>
/// <param name="factor">The step, at least 1.</param>
public sealed class Downsample2d(int factor) : Module
{
    /// <summary>The step.</summary>
    public int Factor { get; } = factor >= 1 ? factor : throw new ArgumentOutOfRangeException(nameof(factor), factor, "Downsample2d: factor must be at least 1.");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.StrideResample(OneLineDescription, 4, Factor, up: false);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"factor={Factor}");
}

/// <summary>Keeps every factor-th position of (N, C, L) input, <c>x[:, :, ::factor]</c>.</summary>
/// <param name="factor">The step, at least 1.</param>
public sealed class Downsample1d(int factor) : Module
{
    /// <summary>The step.</summary>
    public int Factor { get; } = factor >= 1 ? factor : throw new ArgumentOutOfRangeException(nameof(factor), factor, "Downsample1d: factor must be at least 1.");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.StrideResample(OneLineDescription, 3, Factor, up: false);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"factor={Factor}");
}

/// <summary>
/// Dilates (N, C, H, W) input by an integer factor with zeros, (N, C, H factor, W factor) with x[i, j] at
/// (i factor, j factor): the adjoint of <see cref="Downsample2d"/>, the zero insertion of a strided convolution's
/// backward. Not <see cref="Upsample"/>, which interpolates.
/// </summary>
/// <param name="factor">The dilation, at least 1.</param>
public sealed class Upsample2d(int factor) : Module
{
    /// <summary>The dilation.</summary>
    public int Factor { get; } = factor >= 1 ? factor : throw new ArgumentOutOfRangeException(nameof(factor), factor, "Upsample2d: factor must be at least 1.");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.StrideResample(OneLineDescription, 4, Factor, up: true);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"factor={Factor}");
}

/// <summary>Dilates (N, C, L) input by an integer factor with zeros: (N, C, L factor), x[i] at i factor; the adjoint of <see cref="Downsample1d"/>.</summary>
/// <param name="factor">The dilation, at least 1.</param>
public sealed class Upsample1d(int factor) : Module
{
    /// <summary>The dilation.</summary>
    public int Factor { get; } = factor >= 1 ? factor : throw new ArgumentOutOfRangeException(nameof(factor), factor, "Upsample1d: factor must be at least 1.");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.StrideResample(OneLineDescription, 3, Factor, up: true);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"factor={Factor}");
}

/// <summary>Pads the last two dimensions with a constant, PyTorch's <c>nn.ConstantPad2d</c>; negative amounts crop.</summary>
/// <param name="padding">(left, right, top, bottom), or one int for all four.</param>
/// <param name="value">The constant the new elements hold.</param>
public sealed class ConstantPad2d(Padding4 padding, double value) : Module
{
    private string? label;

    /// <summary>(left, right, top, bottom).</summary>
    public Padding4 Padding { get; } = padding;

    /// <summary>The constant.</summary>
    public double Value { get; } = value;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.ConstantPad2dCore(label ??= OneLineDescription, Padding, Value);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"padding={Padding}, value={Value:0.0###}");
}

/// <summary>Pads the last two dimensions with zeros, PyTorch's <c>nn.ZeroPad2d</c>; negative amounts crop.</summary>
/// <param name="padding">(left, right, top, bottom), or one int for all four.</param>
public sealed class ZeroPad2d(Padding4 padding) : Module
{
    private string? label;

    /// <summary>(left, right, top, bottom).</summary>
    public Padding4 Padding { get; } = padding;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.ConstantPad2dCore(label ??= OneLineDescription, Padding, 0);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => Padding.ToString();
}

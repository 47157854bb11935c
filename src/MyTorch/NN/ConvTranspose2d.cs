using System.Globalization;
using System.Text;

namespace MyTorch.NN;

/// <summary>
/// A 2-D transposed convolution layer, PyTorch's <c>nn.ConvTranspose2d</c>: (N, in_channels, H, W) or unbatched
/// (in_channels, H, W) to (N, out_channels, OH, OW), OH = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1.
/// </summary>
/// <remarks>
/// The weight is PyTorch's (in_channels, out_channels / groups, kH, kW) and the bias (out_channels,), under the
/// state-dict keys <c>weight</c> and <c>bias</c>. PyTorch's default initialization: uniform on ±1/sqrt(fan_in) with
/// PyTorch's fan_in of that weight, out_channels / groups * kH * kW, for both, drawn from <c>generator</c> (the weight
/// first). Only zero padding is supported, and the output size is fixed by output_padding (no <c>output_size</c> argument).
/// </remarks>
public sealed class ConvTranspose2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output.</param>
    /// <param name="kernelSize">The kernel's size: an int or (height, width).</param>
    /// <param name="stride">The step between input positions in the output; 1 by default.</param>
    /// <param name="padding">dilation (k - 1) - padding implicit zeros on each side; 0 by default.</param>
    /// <param name="outputPadding">Extra rows and columns at the bottom and right, smaller than the stride or the dilation; 0 by default.</param>
    /// <param name="groups">Independent channel groups; both channel counts must be divisible by it.</param>
    /// <param name="bias">Whether the layer adds a learned bias per output channel.</param>
    /// <param name="dilation">The spacing between kernel elements; 1 by default.</param>
    /// <param name="dtype">The parameters' element type.</param>
    /// <param name="generator">The random source of the initialization (the global one when null).</param>
    public ConvTranspose2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? outputPadding = null,
        int groups = 1, bool bias = true, Size2? dilation = null, DType dtype = DType.Float32, Generator? generator = null)
    {
        ConvTransposeChecks.Check("ConvTranspose2d", inChannels, outChannels, groups, kernelSize, stride ?? 1, padding ?? 0, outputPadding ?? 0, dilation ?? 1);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding ?? 0;
        OutputPadding = outputPadding ?? 0;
        Dilation = dilation ?? 1;
        Groups = groups;
        double bound = 1 / Math.Sqrt(outChannels / groups * kernelSize.H * kernelSize.W);
        Weight = RegisterParameter("weight", Tensor.Uniform([inChannels, outChannels / groups, kernelSize.H, kernelSize.W], -bound, bound, generator, dtype));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform([outChannels], -bound, bound, generator, dtype));
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>(kH, kW).</summary>
    public Size2 KernelSize { get; }

    /// <summary>The step between input positions in the output.</summary>
    public Size2 Stride { get; }

    /// <summary>The padding taken off each side of the full transposed convolution.</summary>
    public Size2 Padding { get; }

    /// <summary>The extra rows and columns at the bottom and right.</summary>
    public Size2 OutputPadding { get; }

    /// <summary>The spacing between kernel elements.</summary>
    public Size2 Dilation { get; }

    /// <summary>Independent channel groups.</summary>
    public int Groups { get; }

    /// <summary>The filters, (in_channels, out_channels / groups, kH, kW).</summary>
    public Tensor Weight { get; }

    /// <summary>The bias, (out_channels,); null for a layer without bias.</summary>
    public Tensor? Bias { get; }

    private string? label;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        label ??= OneLineDescription;
        if (input.Rank is not (3 or 4))
            throw new TensorShapeException(
                $"{label}: expected a 4-D input (batch, {InChannels}, height, width) or 3-D ({InChannels}, height, width), got shape {Shapes.Format(input.Shape)}.", nameof(input));
        return input.ConvTranspose2dCore(label, Weight, Bias, Stride, Padding, OutputPadding, Dilation, Groups);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/> ((N, C, H, W) or (C, H, W)).</summary>
    /// <exception cref="TensorShapeException">The layer does not take that shape.</exception>
    public int[] OutputShape(params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        using var noGrad = Autograd.NoGrad();
        return Forward(Tensor.Zeros(inputShape, Weight.DType)).ShapeArray;
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => ConvTransposeChecks.Describe(InChannels, OutChannels, KernelSize.Pair, Stride.Pair,
        Padding == new Size2(0, 0) ? null : Padding.Pair, Dilation == new Size2(1, 1) ? null : Dilation.Pair,
        OutputPadding == new Size2(0, 0) ? null : OutputPadding.Pair, Groups, Bias is not null);
}

/// <summary>
/// A 1-D transposed convolution layer, PyTorch's <c>nn.ConvTranspose1d</c>: (N, in_channels, L) or unbatched
/// (in_channels, L) to (N, out_channels, (L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1).
/// </summary>
/// <remarks>The weight is PyTorch's (in_channels, out_channels / groups, k), the keys and initialization those of <see cref="ConvTranspose2d"/>.</remarks>
public sealed class ConvTranspose1d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output.</param>
    /// <param name="kernelSize">The kernel's length.</param>
    /// <param name="stride">The step between input positions in the output.</param>
    /// <param name="padding">dilation (k - 1) - padding implicit zeros on each side.</param>
    /// <param name="outputPadding">Extra positions at the end, smaller than the stride or the dilation.</param>
    /// <param name="groups">Independent channel groups; both channel counts must be divisible by it.</param>
    /// <param name="bias">Whether the layer adds a learned bias per output channel.</param>
    /// <param name="dilation">The spacing between kernel elements.</param>
    /// <param name="dtype">The parameters' element type.</param>
    /// <param name="generator">The random source of the initialization (the global one when null).</param>
    public ConvTranspose1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0,
        int groups = 1, bool bias = true, int dilation = 1, DType dtype = DType.Float32, Generator? generator = null)
    {
        ConvTransposeChecks.Check("ConvTranspose1d", inChannels, outChannels, groups, new Size2(1, kernelSize), new Size2(1, stride), new Size2(0, padding),
            new Size2(0, outputPadding), new Size2(1, dilation));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        OutputPadding = outputPadding;
        Dilation = dilation;
        Groups = groups;
        double bound = 1 / Math.Sqrt(outChannels / groups * kernelSize);
        Weight = RegisterParameter("weight", Tensor.Uniform([inChannels, outChannels / groups, kernelSize], -bound, bound, generator, dtype));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform([outChannels], -bound, bound, generator, dtype));
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between input positions in the output.</summary>
    public int Stride { get; }

    /// <summary>The padding taken off each end of the full transposed convolution.</summary>
    public int Padding { get; }

    /// <summary>The extra positions at the end.</summary>
    public int OutputPadding { get; }

    /// <summary>The spacing between kernel elements.</summary>
    public int Dilation { get; }

    /// <summary>Independent channel groups.</summary>
    public int Groups { get; }

    /// <summary>The filters, (in_channels, out_channels / groups, k).</summary>
    public Tensor Weight { get; }

    /// <summary>The bias, (out_channels,); null for a layer without bias.</summary>
    public Tensor? Bias { get; }

    private string? label;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        label ??= OneLineDescription;
        if (input.Rank is not (2 or 3))
            throw new TensorShapeException(
                $"{label}: expected a 3-D input (batch, {InChannels}, length) or 2-D ({InChannels}, length), got shape {Shapes.Format(input.Shape)}.", nameof(input));
        return input.ConvTranspose1dCore(label, Weight, Bias, Stride, Padding, OutputPadding, Dilation, Groups);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/> ((N, C, L) or (C, L)).</summary>
    /// <exception cref="TensorShapeException">The layer does not take that shape.</exception>
    public int[] OutputShape(params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        using var noGrad = Autograd.NoGrad();
        return Forward(Tensor.Zeros(inputShape, Weight.DType)).ShapeArray;
    }

    private static string One(int v) => string.Create(CultureInfo.InvariantCulture, $"({v},)");

    /// <inheritdoc/>
    protected override string ExtraDescription => ConvTransposeChecks.Describe(InChannels, OutChannels, One(KernelSize), One(Stride),
        Padding == 0 ? null : One(Padding), Dilation == 1 ? null : One(Dilation), OutputPadding == 0 ? null : One(OutputPadding), Groups, Bias is not null);
}

/// <summary>The checks and the PyTorch repr the two transposed convolution layers share.</summary>
internal static class ConvTransposeChecks
{
    public static void Check(string who, int inChannels, int outChannels, int groups, Size2 kernel, Size2 stride, Size2 padding, Size2 outputPadding, Size2 dilation)
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"{who}: inChannels must be positive.");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, $"{who}: outChannels must be positive.");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{who}: groups must be positive.");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{who}: in_channels {inChannels} and out_channels {outChannels} must both be divisible by groups {groups}.", nameof(groups));
        if (kernel.H <= 0 || kernel.W <= 0) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"{who}: kernelSize must be positive.");
        if (stride.H <= 0 || stride.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{who}: stride must be positive.");
        if (dilation.H <= 0 || dilation.W <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"{who}: dilation must be positive.");
        if (padding.H < 0 || padding.W < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{who}: padding must be non-negative.");
        if (outputPadding.H < 0 || outputPadding.W < 0 || outputPadding.H >= Math.Max(stride.H, dilation.H) || outputPadding.W >= Math.Max(stride.W, dilation.W))
            throw new ArgumentOutOfRangeException(nameof(outputPadding), outputPadding,
                $"{who}: output_padding must be non-negative and smaller than either the stride or the dilation, as in PyTorch.");
    }

    /// <summary>PyTorch's repr: sizes as tuples; padding, dilation, output_padding, groups and bias only where not the default.</summary>
    public static string Describe(int inChannels, int outChannels, string kernel, string stride, string? padding, string? dilation, string? outputPadding, int groups, bool bias)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{inChannels}, {outChannels}, kernel_size={kernel}, stride={stride}");
        if (padding is not null) text.Append(", padding=").Append(padding);
        if (dilation is not null) text.Append(", dilation=").Append(dilation);
        if (outputPadding is not null) text.Append(", output_padding=").Append(outputPadding);
        if (groups != 1) text.Append(CultureInfo.InvariantCulture, $", groups={groups}");
        if (!bias) text.Append(", bias=False");
        return text.ToString();
    }
}

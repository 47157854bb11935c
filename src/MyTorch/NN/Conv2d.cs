using System.Globalization;
using System.Text;

namespace MyTorch.NN;

/// <summary>
/// A 2-D convolution layer, PyTorch's <c>nn.Conv2d</c>: (N, in_channels, H, W) or unbatched (in_channels, H, W) to
/// (N, out_channels, OH, OW), OH = floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1.
/// </summary>
/// <remarks>
/// The weight is PyTorch's (out_channels, in_channels / groups, kH, kW) and the bias (out_channels,), under PyTorch's
/// state-dict keys <c>weight</c> and <c>bias</c>, so checkpoints move between the two as they are. The default
/// initialization is PyTorch's, kaiming_uniform with a = sqrt(5), which is uniform on ±1/sqrt(fan_in) with
/// fan_in = in_channels / groups * kH * kW, and the bias uniform on the same bound, drawn from <c>generator</c> (the weight
/// first). Only zero padding (PyTorch's default <c>padding_mode='zeros'</c>) is supported.
/// </remarks>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output (filters).</param>
    /// <param name="kernelSize">The kernel's size: an int or (height, width).</param>
    /// <param name="stride">The step between windows; 1 by default.</param>
    /// <param name="padding">An int, (height, width), "valid" or "same" (stride 1 only); 0 by default.</param>
    /// <param name="dilation">The spacing between kernel elements; 1 by default.</param>
    /// <param name="groups">Independent channel groups; both channel counts must be divisible by it.</param>
    /// <param name="bias">Whether the layer adds a learned bias per output channel.</param>
    /// <param name="dtype">The parameters' element type.</param>
    /// <param name="generator">The random source of the initialization (the global one when null).</param>
    public Conv2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, ConvPadding? padding = null, Size2? dilation = null,
        int groups = 1, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "Conv2d: inChannels must be positive.");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, "Conv2d: outChannels must be positive.");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, "Conv2d: groups must be positive.");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: in_channels {inChannels} and out_channels {outChannels} must both be divisible by groups {groups}.", nameof(groups));
        if (kernelSize.H <= 0 || kernelSize.W <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "Conv2d: kernelSize must be positive.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding ?? 0;
        Dilation = dilation ?? 1;
        Groups = groups;
        if (Stride.H <= 0 || Stride.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), Stride, "Conv2d: stride must be positive.");
        if (Dilation.H <= 0 || Dilation.W <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), Dilation, "Conv2d: dilation must be positive.");
        if (Padding.H < 0 || Padding.W < 0) throw new ArgumentOutOfRangeException(nameof(padding), Padding, "Conv2d: padding must be non-negative.");
        if (Padding.Mode == "same" && (Stride.H != 1 || Stride.W != 1))
            throw new ArgumentException("Conv2d: padding='same' is not supported for strided convolutions, as in PyTorch.", nameof(padding));
        double bound = 1 / Math.Sqrt(inChannels / groups * kernelSize.H * kernelSize.W);
        Weight = RegisterParameter("weight", Tensor.Uniform([outChannels, inChannels / groups, kernelSize.H, kernelSize.W], -bound, bound, generator, dtype));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform([outChannels], -bound, bound, generator, dtype));
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>(kH, kW).</summary>
    public Size2 KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public Size2 Stride { get; }

    /// <summary>The padding.</summary>
    public ConvPadding Padding { get; }

    /// <summary>The spacing between kernel elements.</summary>
    public Size2 Dilation { get; }

    /// <summary>Independent channel groups.</summary>
    public int Groups { get; }

    /// <summary>The filters, (out_channels, in_channels / groups, kH, kW).</summary>
    public Tensor Weight { get; }

    /// <summary>The bias, (out_channels,); null for a layer without bias.</summary>
    public Tensor? Bias { get; }

    private string? label;

    /// <summary>The layer as error messages name it, made once.</summary>
    private string Label => label ??= OneLineDescription;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (3 or 4))
            throw new TensorShapeException(
                $"{Label}: expected a 4-D input (batch, {InChannels}, height, width) or 3-D ({InChannels}, height, width), got shape {Shapes.Format(input.Shape)}.", nameof(input));
        return input.Conv2dCore(Label, Weight, Bias, Stride, Padding, Dilation, Groups);
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
    protected override string ExtraDescription => Describe(InChannels, OutChannels, KernelSize.Pair, Stride.Pair, Padding, Dilation.Pair, Groups, Bias is not null,
        Padding.Mode is null && Padding.H == 0 && Padding.W == 0, "(1, 1)");

    /// <summary>PyTorch's repr of a convolution: sizes as tuples, and padding, dilation, groups and bias only where not the default.</summary>
    internal static string Describe(int inChannels, int outChannels, string kernel, string stride, ConvPadding padding, string dilation, int groups, bool bias,
        bool zeroPadding, string one)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{inChannels}, {outChannels}, kernel_size={kernel}, stride={stride}");
        if (padding.Mode is not null) text.Append(CultureInfo.InvariantCulture, $", padding={padding.Mode}");
        else if (!zeroPadding) text.Append(", padding=").Append(one == "(1,)" ? $"({padding.W},)" : $"({padding.H}, {padding.W})");
        if (dilation != one) text.Append(", dilation=").Append(dilation);
        if (groups != 1) text.Append(CultureInfo.InvariantCulture, $", groups={groups}");
        if (!bias) text.Append(", bias=False");
        return text.ToString();
    }
}

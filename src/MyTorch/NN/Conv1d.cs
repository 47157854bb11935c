using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// A 1-D convolution layer, PyTorch's <c>nn.Conv1d</c>: (N, in_channels, L) or unbatched (in_channels, L) to
/// (N, out_channels, OL), OL = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1.
/// </summary>
/// <remarks>
/// The weight is PyTorch's (out_channels, in_channels / groups, k), the bias (out_channels,), under the keys <c>weight</c>
/// and <c>bias</c>; initialization as <see cref="Conv2d"/> (uniform on ±1/sqrt(in_channels / groups * k)).
/// </remarks>
public sealed class Conv1d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output (filters).</param>
    /// <param name="kernelSize">The kernel's length.</param>
    /// <param name="stride">The step between windows.</param>
    /// <param name="padding">An int, "valid" or "same" (stride 1 only); 0 by default.</param>
    /// <param name="dilation">The spacing between kernel elements.</param>
    /// <param name="groups">Independent channel groups; both channel counts must be divisible by it.</param>
    /// <param name="bias">Whether the layer adds a learned bias per output channel.</param>
    /// <param name="dtype">The parameters' element type.</param>
    /// <param name="generator">The random source of the initialization (the global one when null).</param>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, ConvPadding? padding = null, int dilation = 1,
        int groups = 1, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "Conv1d: inChannels must be positive.");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, "Conv1d: outChannels must be positive.");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, "Conv1d: groups must be positive.");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv1d: in_channels {inChannels} and out_channels {outChannels} must both be divisible by groups {groups}.", nameof(groups));
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "Conv1d: kernelSize must be positive.");
        if (stride <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, "Conv1d: stride must be positive.");
        if (dilation <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, "Conv1d: dilation must be positive.");
        Padding = padding ?? 0;
        if (Padding.W < 0 || Padding.H != Padding.W) throw new ArgumentOutOfRangeException(nameof(padding), Padding, "Conv1d: padding must be one non-negative int, \"same\" or \"valid\".");
        if (Padding.Mode == "same" && stride != 1)
            throw new ArgumentException("Conv1d: padding='same' is not supported for strided convolutions, as in PyTorch.", nameof(padding));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Dilation = dilation;
        Groups = groups;
        double bound = 1 / Math.Sqrt(inChannels / groups * kernelSize);
        Weight = RegisterParameter("weight", Tensor.Uniform([outChannels, inChannels / groups, kernelSize], -bound, bound, generator, dtype));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform([outChannels], -bound, bound, generator, dtype));
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>The padding.</summary>
    public ConvPadding Padding { get; }

    /// <summary>The spacing between kernel elements.</summary>
    public int Dilation { get; }

    /// <summary>Independent channel groups.</summary>
    public int Groups { get; }

    /// <summary>The filters, (out_channels, in_channels / groups, k).</summary>
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
        return input.Conv1dCore(Label, Weight, Bias, Stride, Padding, Dilation, Groups);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/> ((N, C, L) or (C, L)).</summary>
    /// <exception cref="TensorShapeException">The layer does not take that shape.</exception>
    public int[] OutputShape(params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        using var noGrad = Autograd.NoGrad();
        return Forward(Tensor.Zeros(inputShape, Weight.DType)).ShapeArray;
    }

    private static string One(int value) => string.Create(CultureInfo.InvariantCulture, $"({value},)");

    /// <inheritdoc/>
    protected override string ExtraDescription => Conv2d.Describe(InChannels, OutChannels, One(KernelSize), One(Stride), Padding, One(Dilation), Groups,
        Bias is not null, Padding.Mode is null && Padding.W == 0, "(1,)");
}

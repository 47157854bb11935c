using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// 2-D max pooling, PyTorch's <c>nn.MaxPool2d</c>: (N, C, H, W) or (C, H, W) to the largest element of each window;
/// stride defaults to the kernel size. The gradient goes to each window's maximum (the first on ties).
/// </summary>
/// <param name="kernelSize">The window: an int or (height, width).</param>
/// <param name="stride">The step between windows; the kernel size when null.</param>
/// <param name="padding">Implicit -infinity padding on each side, at most half the kernel.</param>
/// <param name="dilation">The spacing between window elements.</param>
/// <param name="ceilMode">Round the output size up instead of down.</param>
public sealed class MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false) : Module
{
    private string? label;

    /// <summary>The window.</summary>
    public Size2 KernelSize { get; } = kernelSize;

    /// <summary>The step between windows.</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;

    /// <summary>The padding on each side.</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>The spacing between window elements.</summary>
    public Size2 Dilation { get; } = dilation ?? 1;

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.MaxPool2dCore(label ??= OneLineDescription, KernelSize, Stride, Padding, Dilation, CeilMode);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription =>
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={PoolShapes.Python(CeilMode)}";
}

/// <summary>1-D max pooling, PyTorch's <c>nn.MaxPool1d</c>: (N, C, L) or (C, L); stride defaults to the kernel size.</summary>
/// <param name="kernelSize">The window's length.</param>
/// <param name="stride">The step between windows; the kernel size when null.</param>
/// <param name="padding">Implicit -infinity padding on each side, at most half the kernel.</param>
/// <param name="dilation">The spacing between window elements.</param>
/// <param name="ceilMode">Round the output size up instead of down.</param>
public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) : Module
{
    private string? label;

    /// <summary>The window's length.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>The step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>The padding on each side.</summary>
    public int Padding { get; } = padding;

    /// <summary>The spacing between window elements.</summary>
    public int Dilation { get; } = dilation;

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.MaxPool1dCore(label ??= OneLineDescription, KernelSize, Stride, Padding, Dilation, CeilMode);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture,
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={PoolShapes.Python(CeilMode)}");
}

/// <summary>
/// 2-D average pooling, PyTorch's <c>nn.AvgPool2d</c>: the mean of each window; stride defaults to the kernel size; with
/// <c>countIncludePad</c> (the default) the zero padding counts in the divisor.
/// </summary>
/// <param name="kernelSize">The window: an int or (height, width).</param>
/// <param name="stride">The step between windows; the kernel size when null.</param>
/// <param name="padding">Zero padding on each side, at most half the kernel.</param>
/// <param name="ceilMode">Round the output size up instead of down.</param>
/// <param name="countIncludePad">Divide by the window's size including the padding.</param>
public sealed class AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool ceilMode = false, bool countIncludePad = true) : Module
{
    private string? label;

    /// <summary>The window.</summary>
    public Size2 KernelSize { get; } = kernelSize;

    /// <summary>The step between windows.</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;

    /// <summary>The padding on each side.</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>Whether the padding counts in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.AvgPool2dCore(label ??= OneLineDescription, KernelSize, Stride, Padding, CeilMode, CountIncludePad);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>1-D average pooling, PyTorch's <c>nn.AvgPool1d</c>.</summary>
/// <param name="kernelSize">The window's length.</param>
/// <param name="stride">The step between windows; the kernel size when null.</param>
/// <param name="padding">Zero padding on each side, at most half the kernel.</param>
/// <param name="ceilMode">Round the output size up instead of down.</param>
/// <param name="countIncludePad">Divide by the window's size including the padding.</param>
public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module
{
    private string? label;

    /// <summary>The window's length.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>The step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>The padding on each side.</summary>
    public int Padding { get; } = padding;

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>Whether the padding counts in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.AvgPool1dCore(label ??= OneLineDescription, KernelSize, Stride, Padding, CeilMode, CountIncludePad);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture,
        $"kernel_size=({KernelSize},), stride=({Stride},), padding=({Padding},)");
}

/// <summary>
/// Adaptive 2-D average pooling, PyTorch's <c>nn.AdaptiveAvgPool2d</c>: any (N, C, H, W) or (C, H, W) input to
/// (N, C, OH, OW); output (i, j) averages rows [floor(i H / OH), ceil((i + 1) H / OH)) and likewise columns.
/// </summary>
/// <param name="outputSize">(OH, OW), or one int for both.</param>
public sealed class AdaptiveAvgPool2d(Size2 outputSize) : Module
{
    private string? label;

    /// <summary>The output's spatial size.</summary>
    public Size2 OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.AdaptiveAvgPool2dCore(label ??= OneLineDescription, OutputSize);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => $"output_size={OutputSize}";
}

/// <summary>Adaptive 1-D average pooling, PyTorch's <c>nn.AdaptiveAvgPool1d</c>: any (N, C, L) or (C, L) input to length <paramref name="outputSize"/>.</summary>
/// <param name="outputSize">The output length.</param>
public sealed class AdaptiveAvgPool1d(int outputSize) : Module
{
    private string? label;

    /// <summary>The output length.</summary>
    public int OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.AdaptiveAvgPool1dCore(label ??= OneLineDescription, OutputSize);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    public int[] OutputShape(params int[] inputShape) => PoolShapes.Of(this, inputShape);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"output_size={OutputSize}");
}

/// <summary>Helpers the pooling and shape layers share.</summary>
internal static class PoolShapes
{
    /// <summary>The shape <paramref name="layer"/> outputs for zeros of <paramref name="inputShape"/>, run without gradients.</summary>
    public static int[] Of(Module layer, int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        using var noGrad = Autograd.NoGrad();
        return layer.Forward(Tensor.Zeros(inputShape)).ShapeArray;
    }

    public static string Python(bool value) => value ? "True" : "False";
}

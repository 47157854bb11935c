namespace MyTorch.Ops;

/// <summary>
/// One spatial axis of a pooling window: for output position o, the window starts at o * stride - padding and takes
/// kernel elements dilation apart (max and average pooling), or it is PyTorch's adaptive window
/// [floor(o * in / out), ceil((o + 1) * in / out)).
/// </summary>
internal readonly record struct PoolAxis(int In, int Out, int Kernel, int Stride, int Padding, int Dilation, bool Adaptive)
{
    /// <summary>PyTorch's pooling output size (pooling_output_shape), with ceil_mode's rule that the last window must start inside the input or its left padding.</summary>
    public static int OutputSize(int input, int kernel, int stride, int padding, int dilation, bool ceilMode)
    {
        long numerator = (long)input + 2L * padding - (long)dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        long output = (numerator >= 0 ? numerator / stride : -((-numerator + stride - 1) / stride)) + 1;
        if (ceilMode && (output - 1) * stride >= input + padding) output--;
        return (int)Math.Max(output, -1);
    }

    /// <summary>The window of output position <paramref name="o"/> for average pooling: its first and end input index inside the input, and the size PyTorch divides by with count_include_pad (the window clipped to the padded input).</summary>
    public (int Start, int End, int PaddedSize) AverageWindow(int o)
    {
        if (Adaptive)
        {
            int start = (int)((long)o * In / Out), end = (int)(((long)(o + 1) * In + Out - 1) / Out);
            return (start, end, end - start);
        }
        int first = o * Stride - Padding, last = Math.Min(first + Kernel, In + Padding);
        return (Math.Max(first, 0), Math.Min(last, In), last - first);
    }

    /// <summary>The window of output position <paramref name="o"/> for max pooling: the first input index inside the input (stepping by the dilation) and the end; for adaptive max pooling the adaptive window.</summary>
    public (int Start, int End) MaxWindow(int o)
    {
        if (Adaptive) return ((int)((long)o * In / Out), (int)(((long)(o + 1) * In + Out - 1) / Out));
        int start = o * Stride - Padding, end = Math.Min(start + (Kernel - 1) * Dilation + 1, In);
        while (start < 0) start += Dilation;
        return (start, end);
    }
}

/// <summary>A 2-D pooling call: (N, C, H, W) planes to (N, C, OH, OW), each axis's windows, and for average pooling whether padding counts.</summary>
internal readonly record struct PoolGeometry(int Planes, PoolAxis Rows, PoolAxis Columns, bool CountIncludePad)
{
    public int InputPlane => Rows.In * Columns.In;

    public int OutputPlane => Rows.Out * Columns.Out;

    /// <summary>
    /// The geometry of max or average pooling of <paramref name="x"/> ((N, C, H, W)), checked as PyTorch checks it:
    /// positive kernel, stride and dilation, padding at most half the kernel, and an output of at least one
    /// element, else an error naming <paramref name="who"/>, the input shape and the smallest input that works.
    /// </summary>
    public static PoolGeometry Of(string who, Tensor x, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation, bool ceilMode, bool countIncludePad, bool max, bool oneD = false)
    {
        CheckInput(who, x);
        if (kernel.H <= 0 || kernel.W <= 0) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"{who}: kernel_size must be positive, got {kernel.Pair}.");
        if (stride.H <= 0 || stride.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{who}: stride must be positive, got {stride.Pair}.");
        if (dilation.H <= 0 || dilation.W <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"{who}: dilation must be positive, got {dilation.Pair}.");
        int reachH = dilation.H * (kernel.H - 1) + 1, reachW = dilation.W * (kernel.W - 1) + 1;
        if (padding.H < 0 || padding.W < 0 || padding.H > kernel.H / 2 || padding.W > kernel.W / 2)
            throw new ArgumentOutOfRangeException(nameof(padding), padding,
                $"{who}: padding {padding.Pair} must be non-negative and at most half of the kernel size {kernel.Pair}, as in PyTorch.");
        int h = x.Shape[2], w = x.Shape[3];
        int oh = PoolAxis.OutputSize(h, kernel.H, stride.H, padding.H, dilation.H, ceilMode);
        int ow = PoolAxis.OutputSize(w, kernel.W, stride.W, padding.W, dilation.W, ceilMode);
        if ((oh < 1 || ow < 1) && oneD)
            throw new TensorShapeException(
                $"{who}: input of shape {Shapes.Format([x.Shape[0], x.Shape[1], w])} is too short for the kernel {kernel.W} with padding {padding.W}" +
                (max ? $" and dilation {dilation.W}" : "") + $": the smallest length that works is {Math.Max(1, reachW - 2 * padding.W)}.", nameof(x));
        if (oh < 1 || ow < 1)
            throw new TensorShapeException(
                $"{who}: input of shape {Shapes.Format(x.Shape)} is too small for the kernel {kernel.Pair} with padding {padding.Pair}" +
                (max ? $" and dilation {dilation.Pair}" : "") +
                $": the smallest input size that works is ({Math.Max(1, reachH - 2 * padding.H)}, {Math.Max(1, reachW - 2 * padding.W)}).", nameof(x));
        return new PoolGeometry(x.Shape[0] * x.Shape[1],
            new PoolAxis(h, oh, kernel.H, stride.H, padding.H, dilation.H, false),
            new PoolAxis(w, ow, kernel.W, stride.W, padding.W, dilation.W, false), countIncludePad);
    }

    /// <summary>The geometry of adaptive average pooling of <paramref name="x"/> to <paramref name="output"/>.</summary>
    public static PoolGeometry Adaptive(string who, Tensor x, Size2 output)
    {
        CheckInput(who, x);
        if (output.H <= 0 || output.W <= 0) throw new ArgumentOutOfRangeException(nameof(output), output, $"{who}: output_size must be positive, got {output.Pair}.");
        if (x.Shape[3] == 0 && x.Shape[2] == 1)
            throw new TensorShapeException($"{who}: input of shape {Shapes.Format([x.Shape[0], x.Shape[1], 0])} is empty; the smallest length that works is 1.", nameof(x));
        if (x.Shape[2] == 0 || x.Shape[3] == 0)
            throw new TensorShapeException($"{who}: input of shape {Shapes.Format(x.Shape)} has an empty spatial dimension; the smallest input size that works is (1, 1).", nameof(x));
        return new PoolGeometry(x.Shape[0] * x.Shape[1],
            new PoolAxis(x.Shape[2], output.H, 0, 0, 0, 1, true), new PoolAxis(x.Shape[3], output.W, 0, 0, 0, 1, true), true);
    }

    private static void CheckInput(string who, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
            throw new TensorShapeException($"{who}: expected a 4-D input (batch, channels, height, width), got shape {Shapes.Format(x.Shape)}.", nameof(x));
        if (!x.DType.IsFloatingPoint()) throw new TensorShapeException($"{who}: expected a float32 or float64 input, got {x.DType.Name()}.", nameof(x));
    }
}

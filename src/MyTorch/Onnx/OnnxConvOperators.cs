using MyTorch.Ops;

namespace MyTorch.Onnx;

/// <summary>ONNX's Conv, MaxPool, AveragePool and GlobalAveragePool for 1-D and 2-D inputs, as MyTorch's convolution and pooling ops.</summary>
internal static class OnnxConvOperators
{
    private static long[] Ints(OnnxNode node, string name, int count, long fallback) =>
        node.Attribute(name) is { } a && a.Ints.Count > 0 ? [.. a.Ints] : [.. Enumerable.Repeat(fallback, count)];

    private static int Spatial(Tensor x, string op) => x.Rank is 3 or 4 ? x.Rank - 2
        : throw new ArgumentException($"{op}: MyTorch runs 1-D and 2-D inputs (rank 3 or 4), got rank {x.Rank}.");

    /// <summary>Symmetric pads as MyTorch takes them; the odd zero at the end of a "same" convolution as <see cref="ConvPadding.Same"/>.</summary>
    private static (int[] Pads, bool Same) Pads(OnnxNode node, int n, long[] kernel, long[] dilations, long[] strides, string op, bool allowSame)
    {
        string autoPad = node.Attribute("auto_pad")?.S ?? "NOTSET";
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            if (!allowSame || strides.Any(s => s != 1) || (autoPad == "SAME_LOWER" && kernel.Zip(dilations).Any(p => p.Second * (p.First - 1) % 2 == 1)))
                throw new ArgumentException($"{op}: auto_pad {autoPad} is supported for stride-1 convolutions with the odd zero at the end only.");
            return ([.. new int[n]], true);
        }
        var pads = Ints(node, "pads", 2 * n, 0);
        var result = new int[n];
        bool same = allowSame && strides.All(s => s == 1);
        for (int i = 0; i < n; i++)
        {
            long total = dilations[i] * (kernel[i] - 1);
            same &= pads[i] == total / 2 && pads[n + i] == total - total / 2;
            result[i] = (int)pads[i];
        }
        for (int i = 0; i < n; i++)
            if (pads[i] != pads[n + i])
            {
                if (same) return (result, true);
                throw new ArgumentException($"{op}: asymmetric pads ({string.Join(", ", pads)}) are not supported; MyTorch pads both sides alike.");
            }
        return (result, false);
    }

    public static Tensor Conv(OnnxNode node, Tensor x, Tensor weight, Tensor? bias)
    {
        int n = Spatial(x, "Conv");
        long[] kernel = node.Attribute("kernel_shape") is { } k && k.Ints.Count > 0 ? [.. k.Ints] : [.. weight.Shape[2..].ToArray().Select(d => (long)d)];
        var strides = Ints(node, "strides", n, 1);
        var dilations = Ints(node, "dilations", n, 1);
        int groups = (int)OnnxOperators.Int(node, "group", 1);
        var (pads, same) = Pads(node, n, kernel, dilations, strides, "Conv", allowSame: true);
        if (n == 1)
            return x.Conv1d(weight, bias, (int)strides[0], same ? ConvPadding.Same : pads[0], (int)dilations[0], groups);
        return x.Conv2d(weight, bias, new Size2((int)strides[0], (int)strides[1]), same ? ConvPadding.Same : ConvPadding.Of(pads[0], pads[1]),
            new Size2((int)dilations[0], (int)dilations[1]), groups);
    }

    public static Tensor ConvTranspose(OnnxNode node, Tensor x, Tensor weight, Tensor? bias)
    {
        if (Spatial(x, "ConvTranspose") != 2) throw new ArgumentException("ConvTranspose: MyTorch runs 2-D inputs (rank 4) only.");
        if (node.Attribute("output_shape") is { Ints.Count: > 0 } || (node.Attribute("auto_pad")?.S ?? "NOTSET") != "NOTSET")
            throw new ArgumentException("ConvTranspose: output_shape and auto_pad are not supported; give pads and output_padding.");
        var kernel = Ints(node, "kernel_shape", 2, 0);
        var strides = Ints(node, "strides", 2, 1);
        var dilations = Ints(node, "dilations", 2, 1);
        var outputPadding = Ints(node, "output_padding", 2, 0);
        var (pads, _) = Pads(node, 2, kernel, dilations, strides, "ConvTranspose", allowSame: false);
        return x.ConvTranspose2d(weight, bias, new Size2((int)strides[0], (int)strides[1]), new Size2(pads[0], pads[1]),
            new Size2((int)outputPadding[0], (int)outputPadding[1]), (int)OnnxOperators.Int(node, "group", 1), new Size2((int)dilations[0], (int)dilations[1]));
    }

    public static Tensor MaxPool(OnnxNode node, Tensor x)
    {
        int n = Spatial(x, "MaxPool");
        var kernel = Ints(node, "kernel_shape", n, 1);
        var strides = Ints(node, "strides", n, 1);
        var dilations = Ints(node, "dilations", n, 1);
        var (pads, _) = Pads(node, n, kernel, dilations, strides, "MaxPool", allowSame: false);
        bool ceil = OnnxOperators.Int(node, "ceil_mode", 0) != 0;
        if (n == 1) return x.MaxPool1d((int)kernel[0], (int)strides[0], pads[0], (int)dilations[0], ceil);
        return x.MaxPool2d(new Size2((int)kernel[0], (int)kernel[1]), new Size2((int)strides[0], (int)strides[1]), new Size2(pads[0], pads[1]),
            new Size2((int)dilations[0], (int)dilations[1]), ceil);
    }

    public static Tensor AveragePool(OnnxNode node, Tensor x)
    {
        int n = Spatial(x, "AveragePool");
        var kernel = Ints(node, "kernel_shape", n, 1);
        var strides = Ints(node, "strides", n, 1);
        var (pads, _) = Pads(node, n, kernel, Ints(node, "dilations", n, 1), strides, "AveragePool", allowSame: false);
        bool ceil = OnnxOperators.Int(node, "ceil_mode", 0) != 0;
        // ONNX's default leaves the padding out of the count; PyTorch's exporter writes count_include_pad=1 when it counts.
        bool countPad = OnnxOperators.Int(node, "count_include_pad", 0) != 0;
        if (n == 1) return x.AvgPool1d((int)kernel[0], (int)strides[0], pads[0], ceil, countPad);
        return x.AvgPool2d(new Size2((int)kernel[0], (int)kernel[1]), new Size2((int)strides[0], (int)strides[1]), new Size2(pads[0], pads[1]), ceil, countPad);
    }

    public static Tensor GlobalAveragePool(Tensor x)
    {
        Spatial(x, "GlobalAveragePool");
        return x.Mean([.. Enumerable.Range(2, x.Rank - 2)], keepDim: true);
    }
}

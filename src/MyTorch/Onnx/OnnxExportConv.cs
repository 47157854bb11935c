using MyTorch.NN;
using MyTorch.Ops;

namespace MyTorch.Onnx;

/// <summary>The convolution, pooling and reshaping layers as ONNX nodes (Conv, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Flatten, Reshape).</summary>
internal static class OnnxExportConv
{
    public static bool TryExport(OnnxGraphBuilder g, Module module, string x, string path, out string? y)
    {
        string P(string name) => path.Length == 0 ? name : path + "." + name;
        string At(string op) => (path.Length == 0 ? "" : path + "/") + op;
        int[] shape = g.SampleShape(x) ?? throw new NotSupportedException(
            $"ONNX export: module '{path}' ({module.GetType().Name}) needs its input's shape, which the exporter did not record.");
        y = module switch
        {
            Conv2d conv => Conv(g, x, conv.Weight, conv.Bias, [conv.KernelSize.H, conv.KernelSize.W], [conv.Stride.H, conv.Stride.W],
                [conv.Dilation.H, conv.Dilation.W], Pads(conv.Padding, [conv.Padding.H, conv.Padding.W], [conv.KernelSize.H, conv.KernelSize.W], [conv.Dilation.H, conv.Dilation.W]),
                conv.Groups, P, At),
            Conv1d conv => Conv(g, x, conv.Weight, conv.Bias, [conv.KernelSize], [conv.Stride], [conv.Dilation],
                Pads(conv.Padding, [conv.Padding.H], [conv.KernelSize], [conv.Dilation]), conv.Groups, P, At),
            MaxPool2d pool => g.Add("MaxPool", [x], At("MaxPool"), ("kernel_shape", new long[] { pool.KernelSize.H, pool.KernelSize.W }),
                ("strides", new long[] { pool.Stride.H, pool.Stride.W }), ("pads", new long[] { pool.Padding.H, pool.Padding.W, pool.Padding.H, pool.Padding.W }),
                ("dilations", new long[] { pool.Dilation.H, pool.Dilation.W }), ("ceil_mode", pool.CeilMode ? 1L : 0L)),
            MaxPool1d pool => g.Add("MaxPool", [x], At("MaxPool"), ("kernel_shape", new long[] { pool.KernelSize }), ("strides", new long[] { pool.Stride }),
                ("pads", new long[] { pool.Padding, pool.Padding }), ("dilations", new long[] { pool.Dilation }), ("ceil_mode", pool.CeilMode ? 1L : 0L)),
            AvgPool2d pool => g.Add("AveragePool", [x], At("AveragePool"), ("kernel_shape", new long[] { pool.KernelSize.H, pool.KernelSize.W }),
                ("strides", new long[] { pool.Stride.H, pool.Stride.W }), ("pads", new long[] { pool.Padding.H, pool.Padding.W, pool.Padding.H, pool.Padding.W }),
                ("ceil_mode", pool.CeilMode ? 1L : 0L), ("count_include_pad", pool.CountIncludePad ? 1L : 0L)),
            AvgPool1d pool => g.Add("AveragePool", [x], At("AveragePool"), ("kernel_shape", new long[] { pool.KernelSize }), ("strides", new long[] { pool.Stride }),
                ("pads", new long[] { pool.Padding, pool.Padding }), ("ceil_mode", pool.CeilMode ? 1L : 0L), ("count_include_pad", pool.CountIncludePad ? 1L : 0L)),
            AdaptiveAvgPool2d pool => Adaptive(g, x, shape, [pool.OutputSize.H, pool.OutputSize.W], path, At),
            AdaptiveAvgPool1d pool => Adaptive(g, x, shape, [pool.OutputSize], path, At),
            BatchNorm2d bn => BatchNorm2d(g, x, bn, path, P, At),
            Flatten flatten => Flatten(g, x, shape, flatten, At),
            Unflatten unflatten => Reshape(g, x, shape, unflatten.OutputShape(shape), Shapes.WrapDim(unflatten.Dim, shape.Length, "Unflatten") == 0, path, At),
            _ => OnnxExportExtra.TryExport(g, module, x, shape, path),
        };
        return y is not null;
    }

    private static string Conv(OnnxGraphBuilder g, string x, Tensor weight, Tensor? bias, long[] kernel, long[] strides, long[] dilations, long[] pads, int groups,
        Func<string, string> p, Func<string, string> at)
    {
        string w = g.Constant(weight, p("weight"));
        string[] inputs = bias is null ? [x, w] : [x, w, g.Constant(bias, p("bias"))];
        return g.Add("Conv", inputs, at("Conv"), ("kernel_shape", kernel), ("strides", strides), ("dilations", dilations), ("pads", pads), ("group", (long)groups));
    }

    // ONNX's pads are all the begins, then all the ends; "same" puts the odd zero at the end, as PyTorch does.
    private static long[] Pads(ConvPadding padding, int[] explicitPads, int[] kernel, int[] dilation)
    {
        int n = kernel.Length;
        var pads = new long[2 * n];
        for (int i = 0; i < n; i++)
        {
            if (padding.Mode == "same")
            {
                int total = dilation[i] * (kernel[i] - 1);
                pads[i] = total / 2;
                pads[n + i] = total - total / 2;
            }
            else if (padding.Mode is null) pads[i] = pads[n + i] = explicitPads[i];
        }
        return pads;
    }

    // Global average pooling for an output of 1; else, where each output cell averages an equal window, AveragePool with it.
    private static string Adaptive(OnnxGraphBuilder g, string x, int[] shape, int[] output, string path, Func<string, string> at)
    {
        if (output.All(o => o == 1)) return g.Add("GlobalAveragePool", [x], at("GlobalAveragePool"));
        var spatial = shape[^output.Length..];
        if (spatial.Zip(output).Any(p => p.Second <= 0 || p.First % p.Second != 0))
            throw new NotSupportedException(
                $"ONNX export: adaptive average pooling '{path}' from ({string.Join(", ", spatial)}) to ({string.Join(", ", output)}) has unequal windows, which ONNX cannot express; " +
                "use an output size that divides the input's, or 1.");
        long[] window = [.. spatial.Zip(output).Select(p => (long)(p.First / p.Second))];
        return g.Add("AveragePool", [x], at("AveragePool"), ("kernel_shape", window), ("strides", window));
    }

    private static string BatchNorm2d(OnnxGraphBuilder g, string x, BatchNorm2d bn, string path, Func<string, string> p, Func<string, string> at)
    {
        if (bn.RunningMean is null || bn.RunningVar is null)
            throw new NotSupportedException(
                $"ONNX export: BatchNorm2d '{path}' keeps no running statistics (track_running_stats=False), so inference normalizes with each batch's own; ONNX's BatchNormalization cannot.");
        string scale = g.Constant(bn.Weight ?? Tensor.Ones([bn.NumFeatures], g.DType), p("weight"));
        string bias = g.Constant(bn.Bias ?? Tensor.Zeros([bn.NumFeatures], g.DType), p("bias"));
        return g.Add("BatchNormalization", [x, scale, bias, g.Constant(bn.RunningMean, p("running_mean")), g.Constant(bn.RunningVar, p("running_var"))],
            at("BatchNormalization"), ("epsilon", bn.Eps));
    }

    private static string Flatten(OnnxGraphBuilder g, string x, int[] shape, Flatten flatten, Func<string, string> at)
    {
        int rank = Math.Max(shape.Length, 1);
        int start = flatten.StartDim < 0 ? flatten.StartDim + rank : flatten.StartDim, end = flatten.EndDim < 0 ? flatten.EndDim + rank : flatten.EndDim;
        if (start == 1 && end == shape.Length - 1) return g.Add("Flatten", [x], at("Flatten"), ("axis", 1L));
        return Reshape(g, x, shape, flatten.OutputShape(shape), start == 0, "", at);
    }

    // The batch keeps its (dynamic) size through 0, "copy this dimension"; a reshape that merges the batch into another gets -1 there.
    private static string Reshape(OnnxGraphBuilder g, string x, int[] inputShape, int[] outputShape, bool touchesBatch, string path, Func<string, string> at)
    {
        long[] target = [.. outputShape.Select(d => (long)d)];
        if (touchesBatch)
        {
            if (outputShape.Length == 0 || inputShape.Length == 0)
                throw new NotSupportedException($"ONNX export: reshaping '{path}' changes the batch dimension of {Shapes.Format(inputShape)} in a way a dynamic batch cannot follow.");
            target[0] = -1;
        }
        else target[0] = 0;
        return g.Add("Reshape", [x, g.Int64s(target, at("shape"))], at("Reshape"));
    }
}

using MyTorch.NN;

namespace MyTorch.Onnx;

/// <summary>GroupNorm, ConvTranspose2d and the constant paddings as ONNX nodes.</summary>
internal static class OnnxExportExtra
{
    public static string? TryExport(OnnxGraphBuilder g, Module module, string x, int[] shape, string path)
    {
        string P(string name) => path.Length == 0 ? name : path + "." + name;
        string At(string op) => (path.Length == 0 ? "" : path + "/") + op;
        return module switch
        {
            GroupNorm gn => GroupNorm(g, x, shape, gn, P, At),
            ConvTranspose2d conv => g.Add("ConvTranspose",
                conv.Bias is null ? [x, g.Constant(conv.Weight, P("weight"))] : [x, g.Constant(conv.Weight, P("weight")), g.Constant(conv.Bias, P("bias"))], At("ConvTranspose"),
                ("kernel_shape", new long[] { conv.KernelSize.H, conv.KernelSize.W }), ("strides", new long[] { conv.Stride.H, conv.Stride.W }),
                ("pads", new long[] { conv.Padding.H, conv.Padding.W, conv.Padding.H, conv.Padding.W }),
                ("output_padding", new long[] { conv.OutputPadding.H, conv.OutputPadding.W }), ("dilations", new long[] { conv.Dilation.H, conv.Dilation.W }),
                ("group", (long)conv.Groups)),
            ConstantPad2d pad => Pad(g, x, pad.Padding.Left, pad.Padding.Right, pad.Padding.Top, pad.Padding.Bottom, pad.Value, At),
            ZeroPad2d pad => Pad(g, x, pad.Padding.Left, pad.Padding.Right, pad.Padding.Top, pad.Padding.Bottom, 0, At),
            _ => null,
        };
    }

    // ONNX's pads for (N, C, H, W): the begins of every axis, then the ends; negative amounts crop, as in PyTorch.
    private static string Pad(OnnxGraphBuilder g, string x, int left, int right, int top, int bottom, double value, Func<string, string> at) =>
        g.Add("Pad", [x, g.Int64s([0, 0, top, left, 0, 0, bottom, right], at("pads")), g.Scalar(value, at("value"))], at("Pad"), ("mode", "constant"));

    // As PyTorch's exporter writes it for opset 17 (which has no GroupNormalization): the channels of each group as one
    // instance, InstanceNormalization, the input's shape back, then the per-channel weight and bias.
    private static string GroupNorm(OnnxGraphBuilder g, string x, int[] shape, GroupNorm gn, Func<string, string> p, Func<string, string> at)
    {
        var grouped = g.Add("Reshape", [x, g.Int64s([0, gn.NumGroups, -1], at("group_shape"))], at("Reshape"));
        var normalized = g.Add("InstanceNormalization",
            [grouped, g.Constant(Tensor.Ones([gn.NumGroups], g.DType), at("ones")), g.Constant(Tensor.Zeros([gn.NumGroups], g.DType), at("zeros"))],
            at("InstanceNormalization"), ("epsilon", gn.Eps));
        long[] back = [0, .. shape[1..].Select(d => (long)d)];
        var y = g.Add("Reshape", [normalized, g.Int64s(back, at("shape"))], at("Reshape"));
        if (gn.Weight is null) return y;
        int[] channelShape = [gn.NumChannels, .. Enumerable.Repeat(1, shape.Length - 2)];
        y = g.Add("Mul", [y, g.Constant(gn.Weight.Reshape(channelShape), p("weight"))], at("Mul"));
        return g.Add("Add", [y, g.Constant(gn.Bias!.Reshape(channelShape), p("bias"))], at("Add"));
    }
}

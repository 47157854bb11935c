using System.Globalization;

namespace MyTorch.Onnx;

/// <summary>The ONNX operators <see cref="OnnxModel"/> runs, each as MyTorch tensor ops, with ONNX's defaults for absent attributes.</summary>
internal static class OnnxOperators
{
    private delegate Tensor[] Operator(OnnxNode node, Tensor?[] inputs);

    private static readonly Dictionary<string, Operator> operators = new(StringComparer.Ordinal)
    {
        ["Identity"] = (_, x) => [In(x, 0)],
        ["Dropout"] = (_, x) => [In(x, 0)],
        ["Add"] = (_, x) => [In(x, 0) + In(x, 1)],
        ["Sub"] = (_, x) => [In(x, 0) - In(x, 1)],
        ["Mul"] = (_, x) => [In(x, 0) * In(x, 1)],
        ["Div"] = (_, x) => [In(x, 0) / In(x, 1)],
        ["Neg"] = (_, x) => [-In(x, 0)],
        ["Abs"] = (_, x) => [In(x, 0).Abs()],
        ["Sqrt"] = (_, x) => [In(x, 0).Sqrt()],
        ["Exp"] = (_, x) => [In(x, 0).Exp()],
        ["Log"] = (_, x) => [In(x, 0).Log()],
        ["Erf"] = (_, x) => [In(x, 0).Erf()],
        ["Pow"] = (_, x) => [In(x, 0).Pow(In(x, 1).To(In(x, 0).DType))],
        ["Relu"] = (_, x) => [In(x, 0).Relu()],
        ["Sigmoid"] = (_, x) => [In(x, 0).Sigmoid()],
        ["Tanh"] = (_, x) => [In(x, 0).Tanh()],
        ["Softplus"] = (_, x) => [Softplus(In(x, 0))],
        ["LeakyRelu"] = (n, x) => [In(x, 0).LeakyRelu(Float(n, "alpha", 0.01f))],
        ["Softmax"] = (n, x) => [In(x, 0).Softmax((int)Int(n, "axis", -1))],
        ["LogSoftmax"] = (n, x) => [In(x, 0).LogSoftmax((int)Int(n, "axis", -1))],
        ["MatMul"] = (_, x) => [In(x, 0).MatMul(In(x, 1))],
        ["Gemm"] = (n, x) => [Gemm(n, x)],
        ["BatchNormalization"] = (n, x) => [BatchNormalization(n, x)],
        ["LayerNormalization"] = (n, x) => [LayerNormalization(n, x)],
        ["Flatten"] = (n, x) => [Flatten(In(x, 0), (int)Int(n, "axis", 1))],
        ["Reshape"] = (n, x) => [Reshape(In(x, 0), Ints(In(x, 1)), Int(n, "allowzero", 0) != 0)],
        ["Transpose"] = (n, x) => [Transpose(n, In(x, 0))],
        ["Concat"] = (n, x) => [Tensor.Concat(x.Select((t, i) => In(x, i)).ToArray(), (int)Int(n, "axis", 0))],
        ["ArgMax"] = (n, x) => [In(x, 0).ArgMax((int)Int(n, "axis", 0), Int(n, "keepdims", 1) != 0)],
        ["Constant"] = (n, _) => [Constant(n)],
        ["Shape"] = (_, x) => [Tensor.FromArray(In(x, 0).Shape.ToArray().Select(d => (long)d).ToArray())],
        ["Unsqueeze"] = (_, x) => [Unsqueeze(In(x, 0), Ints(In(x, 1)))],
        ["Conv"] = (n, x) => [OnnxConvOperators.Conv(n, In(x, 0), In(x, 1), x.Length > 2 ? x[2] : null)],
        ["MaxPool"] = (n, x) => [OnnxConvOperators.MaxPool(n, In(x, 0))],
        ["AveragePool"] = (n, x) => [OnnxConvOperators.AveragePool(n, In(x, 0))],
        ["GlobalAveragePool"] = (_, x) => [OnnxConvOperators.GlobalAveragePool(In(x, 0))],
        ["Pad"] = (n, x) => [Pad(n, x)],
        ["InstanceNormalization"] = (n, x) => [InstanceNormalization(n, x)],
        ["ConvTranspose"] = (n, x) => [OnnxConvOperators.ConvTranspose(n, In(x, 0), In(x, 1), x.Length > 2 ? x[2] : null)],
    };

    public static IReadOnlyList<string> Names { get; } = [.. operators.Keys.Order(StringComparer.Ordinal)];

    public static Tensor[] Run(OnnxNode node, Tensor?[] inputs)
    {
        try
        {
            return operators[node.OpType](node, inputs);
        }
        catch (Exception error) when (error is TensorShapeException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new InvalidDataException($"ONNX model: node '{node.Name}' ({node.OpType}) failed on inputs of shapes " +
                $"{string.Join(", ", inputs.Select(t => t is null ? "(none)" : Shapes.Format(t.Shape)))}: {error.Message}", error);
        }
    }

    private static Tensor In(Tensor?[] inputs, int index) =>
        index < inputs.Length && inputs[index] is { } t ? t : throw new ArgumentException($"input {index} is missing.");

    internal static long Int(OnnxNode node, string name, long fallback) => node.Attribute(name)?.I ?? fallback;

    private static float Float(OnnxNode node, string name, float fallback) => node.Attribute(name) is { } a ? a.F : fallback;

    private static long[] Ints(Tensor t) => t.To(DType.Int64).ToArray<long>();

    // log(1 + e^x) without overflow: max(x, 0) + log(1 + e^-|x|).
    private static Tensor Softplus(Tensor x) => x.Relu() + (1 + (-x.Abs()).Exp()).Log();

    private static Tensor Gemm(OnnxNode node, Tensor?[] x)
    {
        var a = In(x, 0);
        var b = In(x, 1);
        if (Int(node, "transA", 0) != 0) a = a.Transpose(0, 1);
        if (Int(node, "transB", 0) != 0) b = b.Transpose(0, 1);
        var y = a.MatMul(b);
        float alpha = Float(node, "alpha", 1), beta = Float(node, "beta", 1);
        if (alpha != 1) y *= alpha;
        if (x.Length > 2 && x[2] is { } c) y += beta == 1 ? c : c * beta;
        return y;
    }

    // Per channel (dimension 1) statistics, broadcast over the batch and any spatial dimensions.
    private static Tensor BatchNormalization(OnnxNode node, Tensor?[] x)
    {
        var input = In(x, 0);
        if (Int(node, "training_mode", 0) != 0) throw new ArgumentException("training_mode=1 is not supported for inference.");
        int[] shape = [.. Enumerable.Repeat(1, input.Rank)];
        if (input.Rank < 2) throw new ArgumentException("BatchNormalization needs an input of rank 2 or more.");
        shape[1] = input.Shape[1];
        Tensor P(int i) => In(x, i).Reshape(shape);
        double eps = Float(node, "epsilon", 1e-5f);
        return (input - P(3)) / (P(4) + eps).Sqrt() * P(1) + P(2);
    }

    // Per (example, channel) statistics over the spatial dimensions, then the per-channel scale and bias.
    private static Tensor InstanceNormalization(OnnxNode node, Tensor?[] x)
    {
        var input = In(x, 0);
        if (input.Rank < 3) throw new ArgumentException("InstanceNormalization needs an input of rank 3 or more.");
        int[] dims = [.. Enumerable.Range(2, input.Rank - 2)];
        int[] shape = [input.Shape[1], .. Enumerable.Repeat(1, input.Rank - 2)];
        double eps = Float(node, "epsilon", 1e-5f);
        var centered = input - input.Mean(dims, keepDim: true);
        var variance = (centered * centered).Mean(dims, keepDim: true);
        return centered / (variance + eps).Sqrt() * In(x, 1).Reshape(shape) + In(x, 2).Reshape(shape);
    }

    private static Tensor LayerNormalization(OnnxNode node, Tensor?[] x)
    {
        var input = In(x, 0);
        int axis = (int)Int(node, "axis", -1);
        if (axis < 0) axis += input.Rank;
        int[] dims = [.. Enumerable.Range(axis, input.Rank - axis)];
        double eps = Float(node, "epsilon", 1e-5f);
        var centered = input - input.Mean(dims, keepDim: true);
        var variance = (centered * centered).Mean(dims, keepDim: true);
        var y = centered / (variance + eps).Sqrt() * In(x, 1);
        return x.Length > 2 && x[2] is { } bias ? y + bias : y;
    }

    private static Tensor Flatten(Tensor x, int axis)
    {
        if (axis < 0) axis += x.Rank;
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= x.Shape[d];
        return x.Reshape(outer, -1);
    }

    private static Tensor Reshape(Tensor x, long[] target, bool allowZero)
    {
        var shape = new int[target.Length];
        for (int i = 0; i < target.Length; i++)
            shape[i] = target[i] == 0 && !allowZero ? x.Shape[i] : checked((int)target[i]);
        return x.Reshape(shape);
    }

    private static Tensor Transpose(OnnxNode node, Tensor x)
    {
        var perm = node.Attribute("perm")?.Ints.Select(p => (int)p).ToArray() ?? [.. Enumerable.Range(0, x.Rank).Reverse()];
        return x.Permute(perm);
    }

    private static Tensor Unsqueeze(Tensor x, long[] axes)
    {
        int rank = x.Rank + axes.Length;
        foreach (long axis in axes.Select(a => a < 0 ? a + rank : a).Order()) x = x.Unsqueeze((int)axis);
        return x;
    }

    // A hostile file's pads could ask for gigabytes: a padded input stays within what a real model pads (1 GB of float32).
    private const long MaxPaddedElements = 1L << 28;

    // Constant padding (PyTorch writes it before an average pool that counts the padding): begins then ends per axis; a negative pad crops.
    private static Tensor Pad(OnnxNode node, Tensor?[] x)
    {
        var input = In(x, 0);
        string mode = node.Attribute("mode")?.S ?? "constant";
        if (mode != "constant") throw new ArgumentException($"Pad mode '{mode}' is not supported; MyTorch runs constant padding.");
        var pads = Ints(In(x, 1));
        if (pads.Length != 2 * input.Rank) throw new ArgumentException($"Pad needs {2 * input.Rank} pads for a rank-{input.Rank} input, got {pads.Length}.");
        if (x.Length > 3 && x[3] is not null) throw new ArgumentException("Pad with an axes input is not supported.");
        long padded = 1;
        for (int d = 0; d < input.Rank; d++) padded = Math.Min(padded * Math.Max(input.Shape[d] + pads[d] + pads[input.Rank + d], 0), long.MaxValue / int.MaxValue);
        if (pads.Any(p => Math.Abs(p) > int.MaxValue / 4) || padded > MaxPaddedElements)
            throw new ArgumentException($"Pad would make {padded} or more elements from an input of shape {Shapes.Format(input.Shape)}; at most {MaxPaddedElements} are allowed.");
        double value = x.Length > 2 && x[2] is { Count: > 0 } c ? c.To(DType.Float64).ToArray<double>()[0] : 0;
        for (int d = 0; d < input.Rank; d++)
        {
            long begin = pads[d], end = pads[input.Rank + d];
            if (begin < 0) input = input.Narrow(d, (int)-begin, input.Shape[d] + (int)begin);
            if (end < 0) input = input.Narrow(d, 0, input.Shape[d] + (int)end);
            if (begin <= 0 && end <= 0) continue;
            var parts = new List<Tensor>();
            int[] shape = input.ShapeArray;
            if (begin > 0) parts.Add(Tensor.Full([.. shape[..d], (int)begin, .. shape[(d + 1)..]], value, input.DType));
            parts.Add(input);
            if (end > 0) parts.Add(Tensor.Full([.. shape[..d], (int)end, .. shape[(d + 1)..]], value, input.DType));
            input = Tensor.Concat(parts, d);
        }
        return input;
    }

    private static Tensor Constant(OnnxNode node)
    {
        if (node.Attribute("value") is { T: { } t }) return t.ToTensor();
        if (node.Attribute("value_float") is { } f) return Tensor.Scalar(f.F);
        if (node.Attribute("value_int") is { } i) return Tensor.FromArray(new[] { i.I }, []);
        if (node.Attribute("value_floats") is { } fs) return Tensor.FromArray(fs.Floats.ToArray());
        if (node.Attribute("value_ints") is { } ints) return Tensor.FromArray(ints.Ints.ToArray());
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Constant has none of the attributes value, value_float, value_int, value_floats, value_ints."));
    }
}

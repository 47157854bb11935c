using MyTorch.NN;

namespace MyTorch.Onnx;

/// <summary>What <see cref="OnnxExport.ExportOnnx"/> names and adds around the model.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The graph input's name (default <c>"input"</c>).</summary>
    public string InputName { get; set; } = "input";

    /// <summary>The graph output's name (default <c>"output"</c>).</summary>
    public string OutputName { get; set; } = "output";

    /// <summary>The graph's name.</summary>
    public string GraphName { get; set; } = "mytorch";

    /// <summary>The model's doc string (shown by viewers such as Netron).</summary>
    public string? DocString { get; set; }

    /// <summary>Nodes before the model (an input normalization): given the graph input's name, returns the value the model reads.</summary>
    public Func<OnnxGraphBuilder, string, string>? Preprocess { get; set; }

    /// <summary>Nodes after the model (probabilities, a target scale): given the model's output, returns the graph output's value.</summary>
    public Func<OnnxGraphBuilder, string, string>? Postprocess { get; set; }

    /// <summary>The output's shape after the batch dimension when <see cref="Postprocess"/> changes it; null keeps the model's.</summary>
    public int[]? OutputFeatureShape { get; set; }

    /// <summary>Key-value pairs stored in the file's <c>metadata_props</c>.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>
/// Writes a module as an ONNX model (opset 17, IR version 8) for inference in ONNX Runtime or any ONNX tool: its
/// evaluation-mode forward, weights as initializers, one input and one output whose first dimension is the dynamic
/// <c>batch</c>. Pure managed: the protobuf encoding is MyTorch's own.
/// </summary>
/// <remarks>
/// Supported: <see cref="Sequential"/>, <see cref="Linear"/> (Gemm for 2-D inputs, else MatMul and Add; the weight is
/// written as MyTorch's (in, out)), <see cref="BatchNorm1d"/> (BatchNormalization with the running statistics),
/// <see cref="LayerNorm"/> (LayerNormalization), <see cref="Dropout"/> (nothing: the identity at inference),
/// <see cref="Residual"/> (Add), <see cref="Identity"/>, every activation (<see cref="ReLU"/>, <see cref="Sigmoid"/>,
/// <see cref="Tanh"/>, <see cref="LeakyReLU"/>, <see cref="Softplus"/>, <see cref="GELU"/> as PyTorch writes it with Erf,
/// <see cref="SiLU"/> as x·Sigmoid(x)), <see cref="NegativeSoftplus"/>, <see cref="Bounded"/>, and any module that
/// implements <see cref="IOnnxExportable"/>. docs/onnx.md lists the operators each becomes.
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the files declare.</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version of the files (the one that goes with opset 17).</summary>
    public const int IrVersion = 8;

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> as ONNX. <paramref name="sampleInput"/> (a batch of
    /// one or more examples) gives the input's dtype and its shape after the batch dimension; it is run through the
    /// model once to find the output's shape. The model's training flag is restored afterwards.
    /// </summary>
    /// <exception cref="NotSupportedException">A module of the model has no ONNX form; the message names its path and type.</exception>
    public static void ExportOnnx(this Module model, string path, Tensor sampleInput, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = ToOnnxBytes(model, sampleInput, options);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The bytes <see cref="ExportOnnx"/> writes.</summary>
    public static byte[] ToOnnxBytes(Module model, Tensor sampleInput, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleInput);
        options ??= new OnnxExportOptions();
        if (sampleInput.Rank < 1 || !sampleInput.DType.IsFloatingPoint())
            throw new ArgumentException(
                $"ONNX export: the sample input must be a float32 or float64 batch of rank 1 or more, got {sampleInput.DType.Name()} {Shapes.Format(sampleInput.Shape)}.",
                nameof(sampleInput));
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            Tensor sampleOutput;
            using (Autograd.NoGrad()) sampleOutput = model.Call(sampleInput);
            var graph = new OnnxGraphBuilder(sampleInput.DType);
            graph.Reserve(options.InputName);
            graph.Samples[options.InputName] = sampleInput;
            string x = options.Preprocess?.Invoke(graph, options.InputName) ?? options.InputName;
            // A preprocess keeps the input's shape (a normalization); the model's layers read it from the sample.
            graph.Samples.TryAdd(x, sampleInput);
            string y = ExportModule(graph, model, x, "");
            if (options.Postprocess is not null) y = options.Postprocess(graph, y);
            graph.NameOutput(y, options.OutputName);

            var proto = new OnnxModelProto
            {
                IrVersion = IrVersion,
                ProducerName = "MyTorch",
                ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3),
                DocString = options.DocString,
            };
            proto.Opsets.Add(("", Opset));
            foreach (var (key, value) in options.Metadata) proto.Metadata[key] = value;
            proto.Graph.Name = options.GraphName;
            proto.Graph.Nodes.AddRange(graph.Nodes);
            proto.Graph.Initializers.AddRange(graph.Initializers);
            proto.Graph.Inputs.Add(ValueInfo(options.InputName, sampleInput.DType, sampleInput.Shape[1..].ToArray()));
            int[] outputShape = options.OutputFeatureShape ?? (options.Postprocess is null ? sampleOutput.Shape[1..].ToArray() : null!);
            proto.Graph.Outputs.Add(ValueInfo(options.OutputName, sampleOutput.DType, outputShape, sampleOutput.Rank - 1));
            return proto.ToBytes();
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    private static OnnxValueInfo ValueInfo(string name, DType dtype, int[]? featureShape, int featureRank = 0)
    {
        var info = new OnnxValueInfo { Name = name, ElementType = OnnxDataType.Of(dtype) };
        info.Dims.Add((-1, "batch"));
        if (featureShape is null)
            for (int d = 1; d <= featureRank; d++) info.Dims.Add((-1, $"dim{d}"));
        else
            foreach (int d in featureShape) info.Dims.Add((d, null));
        return info;
    }

    internal static string ExportModule(OnnxGraphBuilder g, Module module, string x, string path)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(module);
        string y = ExportLayer(g, module, x, path);
        if (!g.Samples.ContainsKey(y) && g.Samples.TryGetValue(x, out var sample))
            using (Autograd.NoGrad()) g.Samples[y] = module.Call(sample);
        return y;
    }

    private static string ExportLayer(OnnxGraphBuilder g, Module module, string x, string path)
    {
        string P(string name) => path.Length == 0 ? name : path + "." + name;
        string At(string op) => (path.Length == 0 ? "" : path + "/") + op;
        switch (module)
        {
            case IOnnxExportable custom:
                return custom.ExportOnnx(g, x, path);
            case Sequential sequential:
                for (int i = 0; i < sequential.Count; i++) x = ExportModule(g, sequential[i], x, P(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return x;
            case Linear linear:
                {
                    string w = g.Constant(linear.W, P("weight"));
                    string? b = linear.B is null ? null : g.Constant(linear.B.Reshape(-1), P("bias"));
                    if (g.SampleShape(x)?.Length == 2)
                        return g.Add("Gemm", b is null ? [x, w] : [x, w, b], At("Gemm"));
                    string z = g.Add("MatMul", [x, w], At("MatMul"));
                    return b is null ? z : g.Add("Add", [z, b], At("Add"));
                }
            case BatchNorm1d bn:
                return g.Add("BatchNormalization",
                    [x, g.Constant(bn.Gamma, P("weight")), g.Constant(bn.Beta, P("bias")), g.Constant(bn.RunningMean, P("running_mean")), g.Constant(bn.RunningVar, P("running_var"))],
                    At("BatchNormalization"), ("epsilon", bn.Eps));
            case LayerNorm ln:
                {
                    string scale = g.Constant(ln.Weight ?? Tensor.Ones([ln.NormalizedShape], g.DType), P("weight"));
                    string bias = g.Constant(ln.Bias ?? Tensor.Zeros([ln.NormalizedShape], g.DType), P("bias"));
                    return g.Add("LayerNormalization", [x, scale, bias], At("LayerNormalization"), ("axis", -1L), ("epsilon", ln.Eps));
                }
            case Dropout or Dropout2d or Identity:
                return x;
            case Residual residual:
                return g.Add("Add", [x, ExportModule(g, residual.Inner, x, P("inner"))], At("Add"));
            case ReLU:
                return g.Add("Relu", [x], At("Relu"));
            case Sigmoid:
                return g.Add("Sigmoid", [x], At("Sigmoid"));
            case Tanh:
                return g.Add("Tanh", [x], At("Tanh"));
            case LeakyReLU leaky:
                return g.Add("LeakyRelu", [x], At("LeakyRelu"), ("alpha", leaky.NegativeSlope));
            case Softplus:
                return g.Add("Softplus", [x], At("Softplus"));
            case GELU:
                {
                    // PyTorch's own export of the exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)).
                    string erf = g.Add("Erf", [g.Add("Div", [x, g.Scalar(Math.Sqrt(2), At("sqrt2"))], At("Div"))], At("Erf"));
                    string onePlus = g.Add("Add", [erf, g.Scalar(1, At("one"))], At("Add"));
                    return g.Add("Mul", [g.Add("Mul", [x, onePlus], At("Mul")), g.Scalar(0.5, At("half"))], At("Mul"));
                }
            case SiLU:
                return g.Add("Mul", [x, g.Add("Sigmoid", [x], At("Sigmoid"))], At("Mul"));
            case NegativeSoftplus:
                return g.Add("Neg", [g.Add("Softplus", [g.Add("Neg", [x], At("Neg"))], At("Softplus"))], At("Neg"));
            case Bounded bounded:
                {
                    string s = g.Add("Sigmoid", [x], At("Sigmoid"));
                    string scaled = g.Add("Mul", [g.Scalar(bounded.High - bounded.Low, At("range")), s], At("Mul"));
                    return g.Add("Add", [g.Scalar(bounded.Low, At("low")), scaled], At("Add"));
                }
            default:
                if (OnnxExportConv.TryExport(g, module, x, path, out string? y)) return y!;
                throw new NotSupportedException(
                    $"ONNX export: module {(path.Length == 0 ? "(the model)" : $"'{path}'")} of type {module.GetType().Name} has no ONNX form; " +
                    $"supported are Sequential, Linear, BatchNorm1d, BatchNorm2d, LayerNorm, Dropout, Dropout2d, Residual, Identity, Flatten, Unflatten, " +
                    $"Conv1d, Conv2d, ConvTranspose2d, MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, GroupNorm, ZeroPad2d, ConstantPad2d, the activations, and modules implementing {nameof(IOnnxExportable)}.");
        }
    }
}

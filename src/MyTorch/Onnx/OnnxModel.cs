using System.Globalization;

namespace MyTorch.Onnx;

/// <summary>
/// An ONNX model loaded for inference: a small interpreter that runs the graph's nodes in order on MyTorch tensors.
/// It reads the files <see cref="OnnxExport"/> writes and those PyTorch's <c>torch.onnx.export</c> writes for the same
/// layers; <see cref="SupportedOperators"/> lists the operators (docs/onnx.md says how each is read).
/// </summary>
public sealed class OnnxModel
{
    private readonly OnnxModelProto proto;
    private readonly Dictionary<string, Tensor> initializers = new(StringComparer.Ordinal);

    /// <summary>The operators the interpreter runs (default ONNX domain).</summary>
    public static IReadOnlyList<string> SupportedOperators => OnnxOperators.Names;

    private OnnxModel(OnnxModelProto proto, string source)
    {
        this.proto = proto;
        foreach (var (domain, version) in proto.Opsets)
            if (domain is "" or "ai.onnx" && version > 21)
                throw new NotSupportedException($"{source}: the model needs ONNX opset {version}; MyTorch reads opsets up to 21.");
        foreach (var t in proto.Graph.Initializers) initializers[t.Name] = t.ToTensor();
        var unsupported = proto.Graph.Nodes
            .Where(n => (n.Domain is not ("" or "ai.onnx")) || !OnnxOperators.Names.Contains(n.OpType))
            .Select(n => n.Domain is "" or "ai.onnx" ? n.OpType : n.Domain + "." + n.OpType).Distinct(StringComparer.Ordinal).ToArray();
        if (unsupported.Length > 0)
            throw new NotSupportedException(
                $"{source}: the graph uses operators MyTorch cannot run: {string.Join(", ", unsupported)}; it runs {string.Join(", ", OnnxOperators.Names)}.");
        var inputs = proto.Graph.Inputs.Where(i => !initializers.ContainsKey(i.Name)).ToArray();
        if (inputs.Length != 1)
            throw new NotSupportedException($"{source}: the graph has {inputs.Length} inputs; MyTorch runs graphs with exactly one.");
        if (proto.Graph.Outputs.Count == 0) throw new InvalidDataException($"{source}: the graph has no outputs.");
        Input = inputs[0];
    }

    private OnnxValueInfo Input { get; }

    /// <summary>Reads an ONNX file.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed ONNX model.</exception>
    /// <exception cref="NotSupportedException">The model uses an operator, opset or data layout that MyTorch does not run.</exception>
    public static OnnxModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromBytes(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads an ONNX model from its bytes; <paramref name="source"/> names it in errors.</summary>
    public static OnnxModel FromBytes(byte[] bytes, string source = "ONNX model")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return new OnnxModel(OnnxModelProto.Read(bytes), source);
    }

    /// <summary>The graph input's name.</summary>
    public string InputName => Input.Name;

    /// <summary>The input's element type as a dtype (float32 or float64).</summary>
    public DType InputDType => Input.ElementType == OnnxDataType.Double ? DType.Float64 : DType.Float32;

    /// <summary>The input's declared shape: a size per dimension, or null for a symbolic one (the batch).</summary>
    public IReadOnlyList<int?> InputShape => Input.Dims.Select(d => d.Symbol is null ? (int?)checked((int)d.Size) : null).ToArray();

    /// <summary>The graph outputs' names, in order.</summary>
    public IReadOnlyList<string> OutputNames => proto.Graph.Outputs.Select(o => o.Name).ToArray();

    /// <summary>The file's <c>metadata_props</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata => proto.Metadata;

    /// <summary>Who wrote the file (<c>producer_name</c>), e.g. "MyTorch" or "pytorch".</summary>
    public string? Producer => proto.ProducerName;

    /// <summary>Runs the graph on <paramref name="input"/> and returns its first output.</summary>
    public Tensor Run(Tensor input) => RunAll(input)[OutputNames[0]];

    /// <summary>Runs the graph on <paramref name="input"/> and returns every output by name.</summary>
    /// <exception cref="TensorShapeException">The input does not have the declared rank or sizes.</exception>
    public IReadOnlyDictionary<string, Tensor> RunAll(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Input.HasShape)
        {
            bool fits = input.Rank == Input.Dims.Count;
            for (int d = 0; fits && d < input.Rank; d++)
                fits = Input.Dims[d].Symbol is not null || Input.Dims[d].Size == input.Shape[d];
            if (!fits)
                throw new TensorShapeException(
                    $"ONNX model: input '{InputName}' must have shape ({string.Join(", ", Input.Dims.Select(d => d.Symbol ?? d.Size.ToString(CultureInfo.InvariantCulture)))}), got {Shapes.Format(input.Shape)}.",
                    nameof(input));
        }
        using var _ = Autograd.NoGrad();
        var values = new Dictionary<string, Tensor>(initializers, StringComparer.Ordinal)
        {
            [InputName] = input.DType == InputDType ? input : input.To(InputDType),
        };
        foreach (var node in proto.Graph.Nodes)
        {
            var args = node.Inputs.Select(name => name.Length == 0 ? null
                : values.TryGetValue(name, out var v) ? v
                : throw new InvalidDataException($"ONNX model: node '{node.Name}' ({node.OpType}) reads '{name}', which no earlier node computes.")).ToArray();
            var outputs = OnnxOperators.Run(node, args);
            for (int i = 0; i < node.Outputs.Count && i < outputs.Length; i++)
                if (node.Outputs[i].Length > 0) values[node.Outputs[i]] = outputs[i];
        }
        return proto.Graph.Outputs.ToDictionary(o => o.Name,
            o => values.TryGetValue(o.Name, out var v) ? v : throw new InvalidDataException($"ONNX model: no node computes the output '{o.Name}'."),
            StringComparer.Ordinal);
    }
}

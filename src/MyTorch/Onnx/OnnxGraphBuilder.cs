using System.Globalization;
using MyTorch.NN;

namespace MyTorch.Onnx;

/// <summary>
/// A module that knows how to write itself into an ONNX graph: implement it on a module type that
/// <see cref="OnnxExport"/> does not know (a custom layer), and the exporter calls it instead of refusing the model.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Adds the nodes computing this module's evaluation-mode forward from the value <paramref name="input"/>; returns the output value's name.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">The name of the input value.</param>
    /// <param name="path">This module's path in the model (<c>"3"</c>, <c>"1.inner"</c>), for naming its values and initializers.</param>
    string ExportOnnx(OnnxGraphBuilder graph, string input, string path);
}

/// <summary>
/// The ONNX graph under construction: nodes in evaluation order, and the initializers (weights and constants) they
/// read. Module exporters and <see cref="OnnxExportOptions.Preprocess"/> / <see cref="OnnxExportOptions.Postprocess"/>
/// add to it; <see cref="OnnxExport"/> writes it.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly Dictionary<string, int> uses = new(StringComparer.Ordinal);
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    internal OnnxGraphBuilder(DType dtype) => DType = dtype;

    /// <summary>The floating-point dtype of the model's values (the sample input's): constants are made in it.</summary>
    public DType DType { get; }

    internal List<OnnxNode> Nodes { get; } = [];

    /// <summary>
    /// The sample batch's value at each module boundary: the exporter runs the sample through the model alongside, so
    /// each layer knows its input's shape (Linear writes Gemm for 2-D inputs, Flatten and pooling need the sizes).
    /// </summary>
    internal Dictionary<string, Tensor> Samples { get; } = new(StringComparer.Ordinal);

    /// <summary>The sample's shape at <paramref name="value"/>, or null where no module boundary recorded it.</summary>
    internal int[]? SampleShape(string value) => Samples.TryGetValue(value, out var t) ? t.ShapeArray : null;

    internal List<OnnxTensorProto> Initializers { get; } = [];

    /// <summary>
    /// Adds a node <paramref name="opType"/> (an operator of the default ONNX domain, opset 17) reading
    /// <paramref name="inputs"/> and returns the name of its output. Attribute values are <see cref="long"/> or
    /// <see cref="int"/> (INT), <see cref="double"/> or <see cref="float"/> (FLOAT), <see cref="string"/> (STRING),
    /// <see cref="long"/>[] (INTS) or <see cref="float"/>[] (FLOATS).
    /// </summary>
    /// <param name="opType">The ONNX operator, e.g. <c>"Gemm"</c>.</param>
    /// <param name="inputs">The names of its inputs, in the operator's order; an empty name skips an optional input.</param>
    /// <param name="hint">The base of the output's name, usually the module path and the operator.</param>
    /// <param name="attributes">The node's attributes as (name, value) pairs.</param>
    public string Add(string opType, IReadOnlyList<string> inputs, string hint, params (string Name, object Value)[] attributes)
    {
        ArgumentNullException.ThrowIfNull(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(attributes);
        string output = Unique(hint);
        var node = new OnnxNode { OpType = opType, Name = output };
        node.Inputs.AddRange(inputs);
        node.Outputs.Add(output);
        foreach (var (name, value) in attributes) node.Attributes.Add(Attribute(name, value));
        foreach (var input in inputs) uses[input] = uses.GetValueOrDefault(input) + 1;
        Nodes.Add(node);
        return output;
    }

    private static OnnxAttribute Attribute(string name, object value) => value switch
    {
        long i => new OnnxAttribute { Name = name, Type = OnnxAttribute.IntType, I = i },
        int i => new OnnxAttribute { Name = name, Type = OnnxAttribute.IntType, I = i },
        double f => new OnnxAttribute { Name = name, Type = OnnxAttribute.FloatType, F = (float)f },
        float f => new OnnxAttribute { Name = name, Type = OnnxAttribute.FloatType, F = f },
        string s => new OnnxAttribute { Name = name, Type = OnnxAttribute.StringType, S = s },
        long[] ints => WithValues(new OnnxAttribute { Name = name, Type = OnnxAttribute.IntsType }, a => a.Ints.AddRange(ints)),
        float[] floats => WithValues(new OnnxAttribute { Name = name, Type = OnnxAttribute.FloatsType }, a => a.Floats.AddRange(floats)),
        _ => throw new ArgumentException($"ONNX attribute '{name}': values of type {value?.GetType().Name ?? "null"} are not supported.", nameof(value)),
    };

    private static OnnxAttribute WithValues(OnnxAttribute attribute, Action<OnnxAttribute> fill)
    {
        fill(attribute);
        return attribute;
    }

    /// <summary>Adds <paramref name="value"/> (converted to <see cref="DType"/> when floating-point) as an initializer named after <paramref name="name"/>; returns its name.</summary>
    public string Constant(Tensor value, string name)
    {
        ArgumentNullException.ThrowIfNull(value);
        using var _ = Autograd.NoGrad();
        var converted = value.DType.IsFloatingPoint() && value.DType != DType ? value.To(DType) : value;
        string unique = Unique(name);
        Initializers.Add(OnnxTensorProto.From(unique, converted.Detach()));
        return unique;
    }

    /// <summary>A 0-d constant of <see cref="DType"/>; broadcasting makes it act on every element.</summary>
    public string Scalar(double value, string name) => Constant(Tensor.Scalar(value, DType), name);

    /// <summary>Adds an initializer of int64 values (a Reshape's target shape, say); returns its name.</summary>
    public string Int64s(long[] values, string name)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Constant(Tensor.FromArray(values), name);
    }

    /// <summary>Adds the nodes of <paramref name="module"/>'s evaluation-mode forward from <paramref name="input"/>; returns the output's name.</summary>
    /// <exception cref="NotSupportedException">The module (or one inside it) has no ONNX form.</exception>
    public string Module(Module module, string input, string path) => OnnxExport.ExportModule(this, module, input, path);

    /// <summary>How many nodes read the value <paramref name="name"/> so far.</summary>
    internal int Uses(string name) => uses.GetValueOrDefault(name);

    /// <summary>Renames the output of the last node (when it produced <paramref name="value"/>) to <paramref name="name"/>, else adds an Identity.</summary>
    internal void NameOutput(string value, string name)
    {
        if (Nodes.Count > 0 && Nodes[^1].Outputs[0] == value && Uses(value) == 0 && names.Add(name))
        {
            Nodes[^1].Outputs[0] = name;
            return;
        }
        var node = new OnnxNode { OpType = "Identity", Name = name };
        node.Inputs.Add(value);
        node.Outputs.Add(name);
        names.Add(name);
        Nodes.Add(node);
    }

    internal void Reserve(string name) => names.Add(name);

    private string Unique(string hint)
    {
        string name = hint.Length == 0 ? "value" : hint;
        for (int i = 1; !names.Add(name); i++) name = string.Create(CultureInfo.InvariantCulture, $"{hint}_{i}");
        return name;
    }
}

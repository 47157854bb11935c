using System.Text;

namespace MyTorch.Visualization;

/// <summary>The local derivative of a node's output with respect to one of its inputs.</summary>
/// <param name="Input">The input's index in <see cref="BackpropTrace.Steps"/>.</param>
/// <param name="Formula">The derivative written with the tensors' labels, such as <c>y(1 - y)</c>.</param>
/// <param name="Value">Its value element by element, for element-wise ops; null where it is not element-wise (matmul, sum).</param>
public sealed record TraceDerivative(int Input, string Formula, Tensor? Value);

/// <summary>One term of the chain rule: the part of a tensor's gradient that came back through one op that used it.</summary>
/// <param name="Consumer">The index in <see cref="BackpropTrace.Steps"/> of the op's output.</param>
/// <param name="Slot">Which input of that op the tensor was (0 for the first).</param>
/// <param name="Formula">The product, such as <c>dL/dy * y(1 - y)</c> or <c>W2^T @ dL/dmatmul#2</c>.</param>
/// <param name="Value">The term's value, with the tensor's shape.</param>
public sealed record TraceContribution(int Consumer, int Slot, string Formula, Tensor Value);

/// <summary>One tensor of a traced forward and backward pass.</summary>
/// <param name="Index">Its position in graph order (inputs before the ops that use them).</param>
/// <param name="Label">Its name, or its op and a number (<c>mul#1</c>), or a constant's value.</param>
/// <param name="Kind">Op output, leaf, input or constant.</param>
/// <param name="Op">The op that made it; null for leaves.</param>
/// <param name="Expression">What it was computed as, in the inputs' labels (<c>W1 @ x</c>); for leaves, what they are.</param>
/// <param name="Inputs">The indices of its op's inputs.</param>
/// <param name="Value">Its value when the trace was recorded (a copy: later in-place updates do not change it).</param>
/// <param name="Gradient">dOutput/dTensor, the incoming gradient; null where none flowed (no grad required).</param>
/// <param name="LocalDerivatives">Its op's local derivative with respect to each input that received a gradient.</param>
/// <param name="Contributions">The chain-rule terms its gradient is the sum of, one per use of it by a later op.</param>
public sealed record TraceStep(int Index, string Label, GraphTensorKind Kind, string? Op, string Expression, IReadOnlyList<int> Inputs,
    Tensor Value, Tensor? Gradient, IReadOnlyList<TraceDerivative> LocalDerivatives, IReadOnlyList<TraceContribution> Contributions);

/// <summary>
/// A step-by-step record of one forward and backward pass: for every tensor of the graph, its inputs, value,
/// local derivatives and incoming gradient, and the chain-rule products that gradient is the sum of.
/// </summary>
/// <example>
/// <code>
/// var trace = BackpropTrace.Record(loss);   // runs loss.Backward() and watches every node
/// Console.Write(trace);                     // a table in graph order
/// </code>
/// </example>
public sealed class BackpropTrace
{
    private readonly Dictionary<Tensor, int> indexOf;

    private BackpropTrace(ComputationGraph graph, IReadOnlyList<TraceStep> steps, Dictionary<Tensor, int> indexOf)
    {
        Graph = graph;
        Steps = steps;
        this.indexOf = indexOf;
    }

    /// <summary>The graph that was traced.</summary>
    public ComputationGraph Graph { get; }

    /// <summary>Every tensor of the graph, in graph order (inputs before the ops that use them; the output last).</summary>
    public IReadOnlyList<TraceStep> Steps { get; }

    /// <summary>The label of the output the pass started from (<c>L</c> in <c>dL/dh</c>).</summary>
    public string OutputLabel => Steps[^1].Label;

    /// <summary>
    /// Runs <c>output.Backward(gradOutput, retainGraph)</c> (so leaves' <see cref="Tensor.Grad"/> fill as usual)
    /// and records every step of it.
    /// </summary>
    public static BackpropTrace Record(Tensor output, Tensor? gradOutput = null, bool retainGraph = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        var graph = ComputationGraph.Of(output);
        var indexOf = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        foreach (var entry in graph.Tensors) indexOf[entry.Tensor] = entry.Index;
        Tensor[] values;
        using (Autograd.NoGrad()) values = graph.Tensors.Select(e => e.Tensor.Detach().Clone()).ToArray();

        var recorder = new Recorder(indexOf);
        using (BackwardObservation.Observe(recorder))
            Autograd.Backward(output, gradOutput, retainGraph);

        string outputLabel = graph.Tensors[^1].Label;
        var steps = new TraceStep[graph.Tensors.Count];
        foreach (var entry in graph.Tensors)
        {
            var inputLabels = entry.Inputs.Select(i => graph.Tensors[i].Label).ToArray();
            var notation = entry.Op is null ? null : OpNotation.For(entry.Op, entry.Inputs.Count);
            string gradientLabel = GradientLabel(outputLabel, entry.Label);
            string expression = notation is null
                ? entry.Kind switch
                {
                    GraphTensorKind.Leaf => "leaf (requires grad)",
                    GraphTensorKind.Constant => "constant",
                    _ => "input (no grad)",
                }
                : OpNotation.Fill(notation.Expression, inputLabels, entry.Label, gradientLabel);

            var locals = new List<TraceDerivative>();
            if (notation is not null && recorder.Reached(entry.Tensor))
            {
                recorder.LocalValues.TryGetValue(entry.Tensor, out var localValues);
                for (int slot = 0; slot < entry.Inputs.Count; slot++)
                {
                    if (!graph.Tensors[entry.Inputs[slot]].Tensor.RequiresGrad) continue;
                    locals.Add(new TraceDerivative(entry.Inputs[slot],
                        OpNotation.Fill(notation.Local[slot], inputLabels, entry.Label, gradientLabel), localValues?[slot]));
                }
            }

            var contributions = recorder.Contributions.TryGetValue(entry.Tensor, out var received)
                ? received.Select(r =>
                {
                    var consumer = graph.Tensors[r.Consumer];
                    var consumerNotation = OpNotation.For(consumer.Op!, consumer.Inputs.Count);
                    var consumerInputs = consumer.Inputs.Select(i => graph.Tensors[i].Label).ToArray();
                    var formula = OpNotation.Fill(consumerNotation.Chain[r.Slot], consumerInputs, consumer.Label, GradientLabel(outputLabel, consumer.Label));
                    return new TraceContribution(r.Consumer, r.Slot, formula, r.Value);
                }).ToArray()
                : [];
            steps[entry.Index] = new TraceStep(entry.Index, entry.Label, entry.Kind, entry.Op, expression, entry.Inputs,
                values[entry.Index], recorder.Gradients.GetValueOrDefault(entry.Tensor), locals, contributions);
        }
        return new BackpropTrace(graph, steps, indexOf);
    }

    /// <summary>The gradient the pass sent to <paramref name="tensor"/> (dOutput/dTensor), or null if none reached it.</summary>
    public Tensor? GradientOf(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return indexOf.TryGetValue(tensor, out int index) ? Steps[index].Gradient : null;
    }

    /// <summary>The step of <paramref name="tensor"/>, or null when it is not part of the traced graph.</summary>
    public TraceStep? Find(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return indexOf.TryGetValue(tensor, out int index) ? Steps[index] : null;
    }

    /// <summary>
    /// The trace as a table, one row per tensor in graph order (constants are written inside the expressions that
    /// use them): node, computed as, value, local derivatives, gradient, and the chain-rule terms it came from.
    /// </summary>
    public TextTable ToTable(int digits = 5, int maxElements = 8)
    {
        string V(Tensor t) => ValueText.FormatCell(t, digits, maxElements);
        string Local(Tensor t) => ValueText.FormatUniform(t, digits, maxElements);
        var table = new TextTable("node", "computed as", "value", "local derivative", $"gradient d{OutputLabel}/d(node)", "chain rule: where the gradient came from");
        foreach (var step in Steps)
        {
            if (step.Kind == GraphTensorKind.Constant) continue;
            var locals = string.Join("\n", step.LocalDerivatives.Select(d =>
            {
                var text = $"d{step.Label}/d{Steps[d.Input].Label} = {d.Formula}";
                return d.Value is null || d.Formula == Local(d.Value) ? text : text + " = " + Local(d.Value);
            }));
            string chain;
            if (step.Index == Steps.Count - 1) chain = $"start: d{OutputLabel}/d{OutputLabel} = {(step.Gradient is null ? "1" : V(step.Gradient))}";
            else chain = string.Join("\n", step.Contributions.Select(c => Contribution(step, c, digits, maxElements)));
            if (step.Contributions.Count > 1) chain += "\nsum of the " + step.Contributions.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " terms";
            table.AddRow(step.Label, step.Expression, V(step.Value), locals, step.Gradient is null ? "-" : V(step.Gradient), chain);
        }
        return table;
    }

    private string Contribution(TraceStep step, TraceContribution c, int digits, int maxElements)
    {
        string V(Tensor t) => ValueText.Format(t, digits, maxElements);
        var consumer = Steps[c.Consumer];
        var gradientLabel = GradientLabel(OutputLabel, consumer.Label);
        var local = consumer.LocalDerivatives.FirstOrDefault(d => d.Input == step.Index && d.Value is not null);
        var notation = OpNotation.For(consumer.Op!, consumer.Inputs.Count);
        // An element-wise op's term is the chain-rule product itself: upstream gradient times local derivative.
        if (notation.Elementwise && local is not null && consumer.Gradient is not null && Shapes.Equal(c.Value.Shape, consumer.Gradient.Shape))
            return $"{gradientLabel} * d{consumer.Label}/d{step.Label} = {V(consumer.Gradient)} * {ValueText.FormatUniform(local.Value!, digits, maxElements)} = {V(c.Value)}";
        return $"{c.Formula} = {ValueText.FormatCell(c.Value, digits, maxElements)}";
    }

    /// <summary>The trace as a plain-text table (see <see cref="ToTable"/>).</summary>
    public override string ToString() => ToTable().ToString();

    /// <summary>The traced graph in DOT, with values and gradients written in the boxes of small tensors.</summary>
    public string ToDot(DotOptions? options = null)
    {
        options ??= new DotOptions { ShowValues = true, ShowGradients = true };
        options = options with { Gradients = options.Gradients ?? GradientOf };
        return Graph.ToDot(options);
    }

    private static string GradientLabel(string output, string tensor) => $"d{output}/d{tensor}";

    /// <summary>Collects gradients, chain-rule terms and element-wise local derivatives while the engine runs backward.</summary>
    private sealed class Recorder(Dictionary<Tensor, int> indexOf) : IBackwardObserver
    {
        public Dictionary<Tensor, Tensor> Gradients { get; } = new(ReferenceEqualityComparer.Instance);
        public Dictionary<Tensor, List<(int Consumer, int Slot, Tensor Value)>> Contributions { get; } = new(ReferenceEqualityComparer.Instance);
        public Dictionary<Tensor, Tensor?[]> LocalValues { get; } = new(ReferenceEqualityComparer.Instance);

        public bool Reached(Tensor tensor) => Gradients.ContainsKey(tensor);

        public void OnGradient(Tensor tensor, Tensor gradient, Tensor?[]? inputGradients)
        {
            if (!indexOf.TryGetValue(tensor, out int index)) return;
            using var noGrad = Autograd.NoGrad();
            Gradients[tensor] = gradient.Detach().Clone();
            var node = tensor.GradFn;
            if (node is null || inputGradients is null) return;
            var inputs = node.InputArray;
            for (int slot = 0; slot < inputs.Length && slot < inputGradients.Length; slot++)
            {
                if (inputGradients[slot] is not { } sent || !inputs[slot].RequiresGrad) continue;
                if (!Contributions.TryGetValue(inputs[slot], out var list)) Contributions[inputs[slot]] = list = [];
                list.Add((index, slot, sent.Detach().Clone()));
            }
            // For an element-wise op, backward applied to a gradient of ones gives d output / d input element by
            // element (where the input was not broadcast): the local derivative the chain rule multiplies by.
            var notation = OpNotation.For(node.Name, inputs.Length);
            if (!notation.Elementwise || node.IsReleased) return;
            var ones = node.Apply(Tensor.OnesLike(tensor));
            var locals = new Tensor?[inputs.Length];
            for (int slot = 0; slot < inputs.Length; slot++)
                if (slot < ones.Length && ones[slot] is { } local && Shapes.Equal(inputs[slot].Shape, tensor.Shape)) locals[slot] = local.Detach();
            LocalValues[tensor] = locals;
        }
    }
}

using System.Globalization;
using System.Text;

namespace MyTorch.Visualization;

/// <summary>What a tensor is in a drawn graph.</summary>
public enum GraphTensorKind
{
    /// <summary>The output of a recorded op (it has a <see cref="Tensor.GradFn"/>).</summary>
    Operation,

    /// <summary>A leaf that requires grad: a parameter or an input gradients are computed for.</summary>
    Leaf,

    /// <summary>A leaf that does not require grad: data, targets, or an unnamed tensor of several values.</summary>
    Input,

    /// <summary>An unnamed one-element leaf without grad, such as the 2 in <c>2 * x</c>: drawn as its value.</summary>
    Constant,
}

/// <summary>One tensor of a <see cref="ComputationGraph"/>: its label, what made it, and which tensors it was made from.</summary>
/// <param name="Index">Its position in <see cref="ComputationGraph.Tensors"/> (every input comes before the ops that use it).</param>
/// <param name="Tensor">The tensor itself.</param>
/// <param name="Label">Its name (<see cref="Tensor.Name"/>) or, unnamed, its op and a number (<c>mul#1</c>), or a constant's value.</param>
/// <param name="Kind">Whether it is an op's output, a leaf, an input or a constant.</param>
/// <param name="Op">The op that made it (<see cref="GradNode.Name"/>); null for leaves.</param>
/// <param name="Inputs">The indices of the op's inputs, in order (an input used twice appears twice); empty for leaves.</param>
/// <param name="IsRoot">Whether it is one of the tensors the graph was built from.</param>
public sealed record GraphTensor(int Index, Tensor Tensor, string Label, GraphTensorKind Kind, string? Op, IReadOnlyList<int> Inputs, bool IsRoot);

/// <summary>Options for <see cref="ComputationGraph.ToDot"/>.</summary>
public sealed record DotOptions
{
    /// <summary>Write each tensor's value in its box when it has at most <see cref="MaxElements"/> elements.</summary>
    public bool ShowValues { get; init; }

    /// <summary>Write each tensor's gradient (from <see cref="Gradients"/>, else <see cref="Tensor.Grad"/>) when small.</summary>
    public bool ShowGradients { get; init; }

    /// <summary>The largest tensor whose values and gradients are written out.</summary>
    public int MaxElements { get; init; } = 4;

    /// <summary>Significant digits of the values written.</summary>
    public int Digits { get; init; } = 4;

    /// <summary>Graphviz's rankdir: LR (data flows left to right, the default) or TB (top to bottom).</summary>
    public string Direction { get; init; } = "LR";

    /// <summary>A title drawn above the graph.</summary>
    public string? Title { get; init; }

    /// <summary>Where gradients come from, for intermediate tensors (a trace supplies them); null reads <see cref="Tensor.Grad"/>.</summary>
    public Func<Tensor, Tensor?>? Gradients { get; init; }
}

/// <summary>
/// The graph behind one or more tensors, in data-flow order: every tensor they were computed from, leaves first,
/// each op after its inputs. <see cref="ToDot"/> draws it with Graphviz.
/// </summary>
/// <example>
/// <code>
/// var x = Tensor.Scalar(0.3, DType.Float64, requiresGrad: true); x.Name = "x";
/// var h = 2 * x + 1; h.Name = "h";
/// var y = h.Sigmoid(); y.Name = "y";
/// File.WriteAllText("graph.dot", ComputationGraph.Of(y).ToDot());
/// </code>
/// </example>
public sealed class ComputationGraph
{
    private readonly Dictionary<Tensor, int> indexOf;

    private ComputationGraph(List<GraphTensor> tensors, Dictionary<Tensor, int> indexOf)
    {
        Tensors = tensors;
        this.indexOf = indexOf;
    }

    /// <summary>The tensors, each after every tensor it was computed from.</summary>
    public IReadOnlyList<GraphTensor> Tensors { get; }

    /// <summary>The graph behind <paramref name="roots"/> (several roots share the tensors they have in common).</summary>
    public static ComputationGraph Of(params Tensor[] roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Length == 0) throw new ArgumentException("ComputationGraph: give at least one tensor to draw the graph of.", nameof(roots));
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        // Iterative depth-first post-order, as in the engine: deep graphs must not overflow the stack. An op's
        // computed inputs are visited before its leaves, so each leaf is listed just before the op that first uses
        // it and the order reads like the forward pass (W1, x, W1 @ x, b1, z1, h1, W2, ...).
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        foreach (var root in roots)
        {
            ArgumentNullException.ThrowIfNull(root, nameof(roots));
            if (!visited.Add(root)) continue;
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (tensor, next) = stack.Pop();
                var inputs = tensor.GradFn?.InputArray;
                if (inputs is not null && next < inputs.Length)
                {
                    stack.Push((tensor, next + 1));
                    var input = InputInVisitOrder(inputs, next);
                    if (visited.Add(input)) stack.Push((input, 0));
                }
                else
                {
                    order.Add(tensor);
                }
            }
        }

        var indexOf = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < order.Count; i++) indexOf[order[i]] = i;
        var rootSet = new HashSet<Tensor>(roots, ReferenceEqualityComparer.Instance);
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        string Next(string prefix)
        {
            int n = counters.GetValueOrDefault(prefix) + 1;
            counters[prefix] = n;
            return prefix + "#" + n.ToString(CultureInfo.InvariantCulture);
        }

        var result = new List<GraphTensor>(order.Count);
        foreach (var tensor in order)
        {
            var node = tensor.GradFn;
            GraphTensorKind kind = node is not null ? GraphTensorKind.Operation
                : tensor.RequiresGrad ? GraphTensorKind.Leaf
                : tensor.Name is null && tensor.Count == 1 ? GraphTensorKind.Constant
                : GraphTensorKind.Input;
            string label = tensor.Name ?? kind switch
            {
                GraphTensorKind.Operation => Next(node!.Name),
                GraphTensorKind.Constant => ValueText.Format(tensor.GetDouble(0)),
                GraphTensorKind.Leaf => Next("leaf"),
                _ => Next("input"),
            };
            int[] inputs = node is null ? [] : node.InputArray.Select(i => indexOf[i]).ToArray();
            result.Add(new GraphTensor(result.Count, tensor, label, kind, node?.Name, inputs, rootSet.Contains(tensor)));
        }
        return new ComputationGraph(result, indexOf);
    }

    /// <summary>The <paramref name="k"/>-th input to visit: the inputs made by ops in order, then the leaves in order.</summary>
    private static Tensor InputInVisitOrder(Tensor[] inputs, int k)
    {
        foreach (bool leaves in (ReadOnlySpan<bool>)[false, true])
        {
            foreach (var input in inputs)
            {
                if (input.IsLeaf != leaves) continue;
                if (k == 0) return input;
                k--;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(k));
    }

    /// <summary>The entry for <paramref name="tensor"/>, or null when it is not part of the graph.</summary>
    public GraphTensor? Find(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return indexOf.TryGetValue(tensor, out int index) ? Tensors[index] : null;
    }

    /// <summary>
    /// The graph in Graphviz's DOT language: a box per leaf (name, shape, whether it requires grad), an ellipse
    /// per op (its name, the tensor's name if it has one, and its output shape), plain text for constants, and
    /// an edge from each input to each op that uses it. The roots have a double outline.
    /// </summary>
    public string ToDot(DotOptions? options = null)
    {
        options ??= new DotOptions();
        var text = new StringBuilder();
        text.Append("digraph mytorch {\n");
        text.Append("  graph [rankdir=").Append(Quote(options.Direction)).Append(", fontname=\"Helvetica\", nodesep=0.3, ranksep=0.4");
        if (options.Title is not null) text.Append(", label=").Append(Quote(options.Title)).Append(", labelloc=t, fontsize=14");
        text.Append("];\n");
        text.Append("  node [fontname=\"Helvetica\", fontsize=11];\n");
        text.Append("  edge [color=\"#555555\", arrowsize=0.7];\n");
        foreach (var entry in Tensors)
            text.Append("  ").Append(Id(entry)).Append(" [").Append(Attributes(entry, options)).Append("];\n");
        foreach (var entry in Tensors)
        {
            bool ordered = entry.Inputs.Count == 2 && entry.Op is "sub" or "div" or "matmul";
            for (int i = 0; i < entry.Inputs.Count; i++)
            {
                text.Append("  ").Append(Id(Tensors[entry.Inputs[i]])).Append(" -> ").Append(Id(entry));
                if (ordered) text.Append(" [label=").Append(Quote(i == 0 ? " a" : " b")).Append(", fontsize=9]");
                text.Append(";\n");
            }
        }
        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>The DOT identifier of a tensor: <c>t</c> and its index.</summary>
    public static string Id(GraphTensor entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return "t" + entry.Index.ToString(CultureInfo.InvariantCulture);
    }

    private static string Attributes(GraphTensor entry, DotOptions options)
    {
        var tensor = entry.Tensor;
        var lines = new List<string>();
        string shape = "shape " + Shapes.Format(tensor.Shape);
        string style;
        switch (entry.Kind)
        {
            case GraphTensorKind.Constant:
                return $"label={Quote(entry.Label)}, shape=plaintext, fontcolor=\"#555555\"";
            case GraphTensorKind.Operation:
                string op = entry.Op == "sub" ? "sub (a - b)" : entry.Op == "div" ? "div (a / b)" : entry.Op == "matmul" ? "matmul (a @ b)" : entry.Op!;
                lines.Add(tensor.Name is null ? op : $"{tensor.Name} = {op}");
                lines.Add(shape);
                style = "shape=ellipse, style=filled, fillcolor=\"#fde9c4\"";
                break;
            case GraphTensorKind.Leaf:
                lines.Add(entry.Label);
                lines.Add(shape + ", requires grad");
                style = "shape=box, style=\"rounded,filled\", fillcolor=\"#cfe2f3\"";
                break;
            default:
                lines.Add(entry.Label);
                lines.Add(shape + ", no grad");
                style = "shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\"";
                break;
        }
        if (options.ShowValues && tensor.Count <= options.MaxElements)
            lines.Add("value " + ValueText.Format(tensor, options.Digits, options.MaxElements));
        if (options.ShowGradients && tensor.RequiresGrad)
        {
            var gradient = options.Gradients is null ? tensor.Grad : options.Gradients(tensor);
            if (gradient is not null && gradient.Count <= options.MaxElements)
                lines.Add("grad " + ValueText.Format(gradient, options.Digits, options.MaxElements));
        }
        var attributes = $"label={Quote(string.Join("\n", lines))}, {style}";
        return entry.IsRoot ? attributes + ", peripheries=2" : attributes;
    }

    /// <summary>A DOT string literal: quotes and backslashes escaped, line breaks as \n.</summary>
    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\r", "", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}

using System.Text.RegularExpressions;
using MyTorch.NN;
using MyTorch.Visualization;
using Xunit;

namespace MyTorch.Tests.Visualization;

/// <summary>The DOT drawings of computational graphs: what each box says and which way the edges go.</summary>
public partial class GraphDotTests
{
    [GeneratedRegex(@"^\s*(t\d+) \[label=""((?:[^""\\]|\\.)*)""", RegexOptions.Multiline)]
    private static partial Regex NodePattern();

    [GeneratedRegex(@"^\s*(t\d+) -> (t\d+)", RegexOptions.Multiline)]
    private static partial Regex EdgePattern();

    /// <summary>The nodes (id to label, with \n as line breaks) and edges of a DOT text written by <see cref="ComputationGraph.ToDot"/>.</summary>
    internal static (Dictionary<string, string> Labels, List<(string From, string To)> Edges) Parse(string dot)
    {
        var labels = NodePattern().Matches(dot).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Replace("\\n", "\n", StringComparison.Ordinal));
        var edges = EdgePattern().Matches(dot).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        return (labels, edges);
    }

    private static string IdOf(Dictionary<string, string> labels, string firstLine) =>
        Assert.Single(labels, l => l.Value.Split('\n')[0] == firstLine).Key;

    internal static bool HasPath(List<(string From, string To)> edges, string from, string to)
    {
        var seen = new HashSet<string> { from };
        var queue = new Queue<string>([from]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            if (node == to) return true;
            foreach (var (a, b) in edges)
                if (a == node && seen.Add(b)) queue.Enqueue(b);
        }
        return false;
    }

    private static Tensor Named(Tensor t, string name)
    {
        t.Name = name;
        return t;
    }

    /// <summary>
    /// Seed 001, question 2: h = 2x + 1, z = x^2, y = sigmoid(h). Drawn together, y and z share x, but no edge path
    /// leads from z to y: y is not a function of z, so dy/dz is not defined.
    /// </summary>
    [Fact]
    public void Seed001Question2_YHasNoPathFromZ()
    {
        var x = Named(Tensor.Scalar(0.3, DType.Float64, requiresGrad: true), "x");
        var h = Named(2 * x + 1, "h");
        var z = Named(x.Square(), "z");
        var y = Named(h.Sigmoid(), "y");

        var dot = ComputationGraph.Of(y, z).ToDot();
        Assert.StartsWith("digraph mytorch {", dot, StringComparison.Ordinal);
        Assert.EndsWith("}\n", dot, StringComparison.Ordinal);
        var (labels, edges) = Parse(dot);

        string xId = IdOf(labels, "x"), hId = IdOf(labels, "h = add"), zId = IdOf(labels, "z = mul"), yId = IdOf(labels, "y = sigmoid");
        Assert.Contains("shape (), requires grad", labels[xId], StringComparison.Ordinal);
        Assert.Contains("shape ()", labels[yId], StringComparison.Ordinal);
        // The constants 2 and 1 are drawn as their values.
        Assert.Contains(labels, l => l.Value == "2");
        Assert.Contains(labels, l => l.Value == "1");

        Assert.True(HasPath(edges, xId, yId));
        Assert.True(HasPath(edges, xId, zId));
        Assert.True(HasPath(edges, hId, yId));
        Assert.False(HasPath(edges, zId, yId));
        Assert.False(HasPath(edges, yId, zId));
        // z = x * x: two edges from x, one per operand.
        Assert.Equal(2, edges.Count(e => e == (xId, zId)));
        // Edges run in data-flow direction: nothing flows into a leaf.
        Assert.DoesNotContain(edges, e => e.To == xId);
        // Both roots are outlined twice.
        Assert.Matches($@"{yId} \[[^\n]*peripheries=2", dot);
        Assert.Matches($@"{zId} \[[^\n]*peripheries=2", dot);

        // The graph of y alone does not even contain z.
        Assert.Null(ComputationGraph.Of(y).Find(z));
        Assert.NotNull(ComputationGraph.Of(y).Find(x));
    }

    [Fact]
    public void SmallMlpHasABoxPerParameterAndAnOpPerLayerStep()
    {
        var generator = new Generator(3);
        var net = new Sequential(new Linear(3, 4, dtype: DType.Float64, generator: generator), new Tanh(), new Linear(4, 2, dtype: DType.Float64, generator: generator));
        foreach (var (name, parameter) in net.NamedParameters()) parameter.Name = name;
        var input = Named(Tensor.Uniform([5, 3], -1, 1, new Generator(4), DType.Float64), "input");
        var output = Named(net.Forward(input), "output");

        var graph = ComputationGraph.Of(output);
        var (labels, edges) = Parse(graph.ToDot());
        Assert.Equal(graph.Tensors.Count, labels.Count);

        string inputId = IdOf(labels, "input");
        Assert.Contains("shape (5, 3), no grad", labels[inputId], StringComparison.Ordinal);
        string outputId = Assert.Single(labels, l => l.Value.StartsWith("output = ", StringComparison.Ordinal)).Key;
        Assert.Contains("shape (5, 2)", labels[outputId], StringComparison.Ordinal);
        foreach (var (name, shape) in new[] { ("0.weight", "(3, 4)"), ("0.bias", "(1, 4)"), ("2.weight", "(4, 2)"), ("2.bias", "(1, 2)") })
        {
            string id = IdOf(labels, name);
            Assert.Contains($"shape {shape}, requires grad", labels[id], StringComparison.Ordinal);
            Assert.True(HasPath(edges, id, outputId), $"{name} reaches the output");
            Assert.DoesNotContain(edges, e => e.To == id);
        }
        Assert.True(HasPath(edges, inputId, outputId));
        Assert.Contains(labels.Values, l => l.StartsWith("tanh\n", StringComparison.Ordinal));
        // The first layer's parameters cannot be reached from the second layer's.
        Assert.False(HasPath(edges, IdOf(labels, "2.weight"), IdOf(labels, "0.weight")));
        // Every op comes after its inputs, and every edge goes from an earlier tensor to a later one.
        foreach (var entry in graph.Tensors)
            Assert.All(entry.Inputs, i => Assert.True(i < entry.Index));
        Assert.All(edges, e => Assert.True(int.Parse(e.From[1..], System.Globalization.CultureInfo.InvariantCulture) < int.Parse(e.To[1..], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void ValuesAndGradientsAppearOnlyWhenAskedAndSmall()
    {
        var w = Named(Tensor.FromArray(new double[] { 0.5, -1 }, requiresGrad: true), "w");
        var big = Named(Tensor.Ones([3, 3], DType.Float64, requiresGrad: true), "big");
        var loss = Named((w * w).Sum() + big.Sum(), "loss");
        loss.Backward();

        var plain = Parse(ComputationGraph.Of(loss).ToDot()).Labels;
        Assert.DoesNotContain(plain.Values, l => l.Contains("value", StringComparison.Ordinal) || l.Contains("grad ", StringComparison.Ordinal));

        var detailed = Parse(ComputationGraph.Of(loss).ToDot(new DotOptions { ShowValues = true, ShowGradients = true })).Labels;
        var wLabel = detailed[IdOf(detailed, "w")];
        Assert.Contains("value [0.5, -1]", wLabel, StringComparison.Ordinal);
        Assert.Contains("grad [1, -2]", wLabel, StringComparison.Ordinal);
        var bigLabel = detailed[IdOf(detailed, "big")];
        Assert.DoesNotContain("value", bigLabel, StringComparison.Ordinal);
        Assert.DoesNotContain("grad ", bigLabel, StringComparison.Ordinal);
        Assert.Contains("value 10.25", detailed[IdOf(detailed, "loss = add")], StringComparison.Ordinal);
    }

    [Fact]
    public void UnnamedTensorsGetNumberedOpLabelsAndNamesAreEscaped()
    {
        var a = Named(Tensor.Scalar(1.5, DType.Float64, requiresGrad: true), "a \"quoted\" name");
        var b = Tensor.Scalar(2, DType.Float64, requiresGrad: true);
        var y = (a * b).Exp() * b;
        var graph = ComputationGraph.Of(y);
        Assert.Equal(["a \"quoted\" name", "leaf#1", "mul#1", "exp#1", "mul#2"], graph.Tensors.Select(t => t.Label));
        Assert.Equal([GraphTensorKind.Leaf, GraphTensorKind.Leaf, GraphTensorKind.Operation, GraphTensorKind.Operation, GraphTensorKind.Operation],
            graph.Tensors.Select(t => t.Kind));
        var dot = graph.ToDot(new DotOptions { Title = "a\nb" });
        Assert.Contains("label=\"a \\\"quoted\\\" name\\nshape (), requires grad\"", dot, StringComparison.Ordinal);
        Assert.Contains("label=\"a\\nb\"", dot, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepChainsDoNotOverflowTheStack()
    {
        var x = Tensor.Scalar(1, DType.Float64, requiresGrad: true);
        var y = x;
        for (int i = 0; i < 20_000; i++) y = y * 1.0;
        var graph = ComputationGraph.Of(y);
        Assert.Equal(40_001, graph.Tensors.Count);
        Assert.Same(x, graph.Tensors[0].Tensor);
        Assert.True(graph.Tensors[^1].IsRoot);
    }

    [Fact]
    public void GraphvizWithoutDotWritesTheDotFileAndSaysHowToRenderIt()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mytorch-dot-" + Guid.NewGuid().ToString("N"));
        try
        {
            var x = Named(Tensor.Scalar(0.3, DType.Float64, requiresGrad: true), "x");
            var dot = ComputationGraph.Of(x.Sigmoid()).ToDot();
            var result = Graphviz.Render(dot, Path.Combine(folder, "graph.svg"), dotExecutable: null);
            Assert.False(result.Rendered);
            Assert.Equal(Path.Combine(folder, "graph.dot"), result.Path);
            Assert.Equal(dot, File.ReadAllText(result.Path));
            Assert.False(File.Exists(Path.Combine(folder, "graph.svg")));
            Assert.Contains("not on PATH", result.Message, StringComparison.Ordinal);
            Assert.Contains("dot -Tsvg", result.Message, StringComparison.Ordinal);

            var asDot = Graphviz.Render(dot, Path.Combine(folder, "plain.dot"));
            Assert.False(asDot.Rendered);
            Assert.Equal(dot, File.ReadAllText(Path.Combine(folder, "plain.dot")));

            var error = Assert.Throws<ArgumentException>(() => Graphviz.Render(dot, Path.Combine(folder, "graph.txt")));
            Assert.Contains(".svg", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Renders with Graphviz when it is installed; without it there is nothing to check here.</summary>
    [Fact]
    public void GraphvizRendersSvgWhenDotIsInstalled()
    {
        if (Graphviz.FindDot() is null) return;
        var folder = Path.Combine(Path.GetTempPath(), "mytorch-svg-" + Guid.NewGuid().ToString("N"));
        try
        {
            var x = Named(Tensor.Scalar(0.3, DType.Float64, requiresGrad: true), "x");
            var result = Graphviz.Render(ComputationGraph.Of(Named(x.Sigmoid(), "y")).ToDot(), Path.Combine(folder, "graph.svg"));
            Assert.True(result.Rendered);
            var svg = File.ReadAllText(result.Path);
            Assert.Contains("<svg", svg, StringComparison.Ordinal);
            Assert.Contains("y = sigmoid", svg, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}

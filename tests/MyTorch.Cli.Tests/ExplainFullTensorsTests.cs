using MyTorch.NN;
using MyTorch.Visualization;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>For learners: whole tensors in explain's graph and trace on request, and traces that name a model's parameters by layer path.</summary>
public class ExplainFullTensorsTests
{
    [Fact]
    public void Full_tensors_writes_W_and_its_gradient_in_the_graph()
    {
        using var folder = new TempFolder();
        var plain = CliRunner.Run("explain", "--graph", folder["plain.dot"]);
        Assert.True(plain.ExitCode == 0, plain.Error);
        var full = CliRunner.Run("explain", "--graph", folder["full.dot"], "--full-tensors", "--trace");
        Assert.True(full.ExitCode == 0, full.Error);
        string W1(string file) => File.ReadLines(file).Single(l => l.Contains("label=\"W1\\n", StringComparison.Ordinal));
        Assert.DoesNotContain("value", W1(folder["plain.dot"]), StringComparison.Ordinal);
        // W1 is 4x4: all 16 weights and all 16 gradients.
        var line = W1(folder["full.dot"]);
        Assert.Contains("value [" + string.Join(", ", Enumerable.Repeat("0.1", 16)) + "]", line, StringComparison.Ordinal);
        Assert.Contains("grad [-0.01332, 0, -0.01332, 0", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_models_parameters_are_named_by_layer_path_in_traces()
    {
        var model = new Sequential(new Linear(2, 3, dtype: DType.Float64, generator: new Generator(1)), new Linear(3, 1, dtype: DType.Float64, generator: new Generator(2)));
        var loss = model.Forward(Tensor.FromArray(new[] { 1.0, 2.0 }, [1, 2])).Sum();
        var trace = BackpropTrace.Record(loss).ToString();
        foreach (var name in new[] { "0.weight", "0.bias", "1.weight", "1.bias" })
            Assert.Contains(name, trace, StringComparison.Ordinal);
        Assert.DoesNotContain("leaf#", trace, StringComparison.Ordinal);
        Assert.Equal("0.weight", model.NamedParameters().First().Parameter.Name);

        // Nested containers give the whole path; a name set by the user stays.
        var inner = new Linear(2, 2, generator: new Generator(3));
        inner.NamedParameters().Last().Parameter.Name = "my bias";
        var nested = new Sequential(new Linear(2, 2, generator: new Generator(4)), new Sequential(inner));
        Assert.Equal(["0.weight", "0.bias", "1.0.weight", "my bias"], nested.NamedParameters().Select(p => p.Parameter.Name));
    }
}

using MyTorch.Diagnostics;
using Xunit;

namespace MyTorch.Tests.Visualization;

/// <summary>The suite behind <c>mytorch gradcheck</c>: every case passes, and it covers every built-in op, layer and loss.</summary>
public class GradCheckSuiteTests
{
    [Fact]
    public void EveryCasePasses()
    {
        var results = GradCheckSuite.Run();
        Assert.Equal(GradCheckSuite.Cases.Count, results.Count);
        Assert.All(results, r => Assert.True(r.Result.Passed, $"{r.Case.Name} ({r.Case.Variant}): {r.Result}"));
        Assert.All(results, r => Assert.True(r.Result.ElementsChecked > 0));
    }

    [Fact]
    public void CoversTheBuiltInOpsLayersAndLosses()
    {
        var names = GradCheckSuite.Cases.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        string[] expected =
        [
            "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt", "abs", "pow", "clamp", "maximum", "minimum", "where", "matmul",
            "transpose", "permute", "reshape", "broadcast_to", "narrow", "concat", "index_select", "sum", "mean", "var", "max", "min",
            "logsumexp", "softmax", "log_softmax", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "gelu",
            "Linear", "BatchNorm1d", "LayerNorm", "Dropout", "Residual", "Sequential", "MLP", "Tanh", "ReLU", "GELU", "Bounded",
            "SoftmaxCrossEntropy", "CrossEntropyLoss", "NLLLoss", "MSELoss", "SumSquaredError", "BCELoss", "BCEWithLogitsLoss",
        ];
        Assert.All(expected, name => Assert.Contains(name, names));
        Assert.All(GradCheckSuite.Run("MATMUL"), r => Assert.Equal("matmul", r.Case.Name));
    }
}

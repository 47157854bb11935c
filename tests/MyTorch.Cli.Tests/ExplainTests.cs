using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary><c>mytorch explain</c>, <c>mytorch gradcheck</c> and <c>mytorch train --detect-anomaly</c>, run as a user runs them.</summary>
public class ExplainTests
{
    private static CliRunner.Result Ok(params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 0, $"mytorch {string.Join(' ', args)}: exit code {result.ExitCode}; stderr: {result.Error}");
        return result;
    }

    private static void AssertContainsAll(string text, params string[] fragments)
    {
        foreach (var fragment in fragments) Assert.Contains(fragment, text, StringComparison.Ordinal);
    }

    /// <summary>Seed 002: the forward numbers, the backward pass by the seed's rules, and the weights after one SGD step.</summary>
    [Fact]
    public void ExplainReproducesSeed002()
    {
        var result = Ok("explain");
        var output = result.Output;
        AssertContainsAll(output,
            "Seed 002: a 4-4-3-3 network, tanh hidden layers",
            "z1 = [0.3, 0.3, 0.3, 0.3]", "tanh: [0.29131, 0.29131, 0.29131, 0.29131]", "z2 = [0.21653, 0.21653, 0.21653]",
            "z3 = [0.16396, 0.16396, 0.16396]", "loss L = 1/2 sum (y_hat - y)^2 = 0.37636",
            // dL/dz3 = y_hat - y, dL/dW3 = dL/dz3 h2^T, dL/db3 = dL/dz3.
            "[0.16396, -0.83604, 0.16396]", "[ -0.17825 -0.17825 -0.17825 ]", "W3^T dL/dz3 * (1 - h2^2)",
            "autograd agrees with the seed's rules",
            // b3 <- 0.1 - 0.1 * dL/db3.
            "[0.083604, 0.1836, 0.083604]", "loss after the step: 0.29434 (was 0.37636)");
        foreach (var number in new[] { "0.3", "0.2913", "0.2165", "0.16396", "0.376" }) Assert.Contains(number, output, StringComparison.Ordinal);
        Assert.Empty(result.Error);
    }

    /// <summary>Seed 002, question 2: softmax and cross-entropy, where dL/dz3 = softmax(z3) - y.</summary>
    [Fact]
    public void ExplainWithCrossEntropy()
    {
        var output = Ok("explain", "--loss", "ce").Output;
        AssertContainsAll(output, "softmax output, cross-entropy loss", "softmax: y_hat = [0.33333, 0.33333, 0.33333]",
            "= 1.0986", "softmax(z3) - y", "[0.33333, -0.66667, 0.33333]", "autograd agrees with the seed's rules");
    }

    [Fact]
    public void ExplainGeneralizesTheNetwork()
    {
        var output = Ok("explain", "--layers", "2,3,1", "--activation", "sigmoid", "--init", "0.2", "--x", "1,2", "--y", "0.5", "--lr", "0.5").Output;
        AssertContainsAll(output, "a 2-3-1 network, sigmoid hidden layers", "z1 = [0.8, 0.8, 0.8]", "W2^T dL/dz2 * h1 (1 - h1)",
            "learning rate 0.5", "autograd agrees with the seed's rules");
        Assert.DoesNotContain("Seed 002", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--x", "1,0", "x needs 4 values")]
    [InlineData("--y", "1,0", "y needs 3 values")]
    [InlineData("--w1", "2", "--w1")]
    public void ExplainRejectsInconsistentOptions(string option, string value, string message)
    {
        var result = CliRunner.Run("explain", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    /// <summary>Seed 003: the partial derivative at each node, the chain-rule products, and the update.</summary>
    [Fact]
    public void ExplainConvWalksThroughAConvolutionAndAMaxPool()
    {
        var output = Ok("explain", "--example", "conv").Output;
        AssertContainsAll(output,
            "a convolution of a 1-channel 5x5 image with one 3x3 kernel, stride 1, padding 0: a 3x3 output",
            // y[0,0] = 0.1 + 0.2*1 - 0.1*2 + 0.3*0 + 0.5*0 - 0.4*1 + 0.1*2 + -0.3*1 + 0.2*0 + 0.6*1 = 0.2
            "y[0,0]  0.1 + 0.2*1 + -0.1*2 + 0.3*0 + 0.5*0 + -0.4*1 + 0.1*2 + -0.3*1 + 0.2*0 + 0.6*1", "0.2",
            "dL/dW: the correlation of the (padded) input with dL/dy", "dL/dx: the full convolution of dL/dy with the flipped kernel",
            "[ 0.6  0.2 -0.3 ]", "autograd agrees: the largest difference over y, dL/dW, dL/db and dL/dx is",
            "a 2x2 max-pool, stride 2", "m[0,1]  0..1, 2..3              3    x[1,3]", "autograd routes it the same way: the largest difference is 0");
        Assert.DoesNotContain("E-17 ", output, StringComparison.Ordinal);   // the hand sums' rounding noise is shown as 0
    }

    [Fact]
    public void ExplainConvTakesStrideAndPadding_AndOnlyItsOwnOptions()
    {
        var output = Ok("explain", "--example", "conv", "--stride", "2", "--padding", "1").Output;
        AssertContainsAll(output, "stride 2, padding 1: a 3x3 output", "dL/dy spread by the stride, padded by k - 1", "autograd agrees");
        var wrong = CliRunner.Run("explain", "--example", "conv", "--w1", "2");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("--w1", wrong.Error, StringComparison.Ordinal);
        var stride = CliRunner.Run("explain", "--example", "conv", "--stride", "9");
        Assert.Equal(2, stride.ExitCode);
        Assert.Contains("--stride: expected 1 to 4", stride.Error, StringComparison.Ordinal);
        Assert.Equal(2, CliRunner.Run("explain", "--padding", "1").ExitCode);
    }

    [Fact]
    public void ExplainSigmoidChainReproducesSeed003()
    {
        var output = Ok("explain", "--example", "sigmoid-chain", "--x", "1.5", "--w1", "0.4", "--w2", "-0.9", "--y", "1", "--lr", "0.1").Output;
        AssertContainsAll(output,
            "z1    x * w1", "0.64566", "a2    g2(z2) = 1 / (1 + e^-z2)  0.35868",
            "dLoss/da2   a2 - y                 -0.64132", "da2/dz2     g2'(z2) = a2 (1 - a2)  0.23003",
            "(a2 - y) a2 (1 - a2) a1", "-0.64132 * 0.23003 * 0.64566 = -0.095248",
            "(a2 - y) a2 (1 - a2) w2 a1 (1 - a1) x", "= 0.045563",
            "w1 <- w1 - alpha dLoss/dw1 = 0.4 - 0.1 * 0.045563 = 0.39544");
    }

    [Fact]
    public void ExplainTraceListsEveryNodeWithItsChainRuleTerm()
    {
        var output = Ok("explain", "--trace").Output;
        AssertContainsAll(output, "step-by-step trace", "local derivative", "gradient dL/d(node)",
            "dh1/dz1 = 1 - h1^2 = 0.91514", "W2^T @ dL/dmatmul#2 = [-0.014551, -0.014551, -0.014551, -0.014551]", "start: dL/dL = 1");
    }

    /// <summary>Seed 001, question 2: dy/dz is not defined, and the drawn graph has no path from z to y.</summary>
    [Fact]
    public void ExplainComputationalGraphDrawsIt()
    {
        using var folder = new TempFolder();
        var dotFile = folder["seed001.dot"];
        var output = Ok("explain", "--example", "computational-graph", "--graph", dotFile).Output;
        AssertContainsAll(output, "dy/dz", "not defined", "z is not part of y's graph", $"wrote {dotFile}");
        var dot = File.ReadAllText(dotFile);
        AssertContainsAll(dot, "digraph mytorch", "y = sigmoid", "z = mul", "h = add");
    }

    [Fact]
    public void ExplainGraphRendersWithGraphvizOrWritesTheDotFile()
    {
        using var folder = new TempFolder();
        var svg = folder["mlp.svg"];
        var output = Ok("explain", "--graph", svg).Output;
        if (File.Exists(svg))
        {
            Assert.Contains($"wrote {svg}", output, StringComparison.Ordinal);
            AssertContainsAll(File.ReadAllText(svg), "<svg", "z1 = add", "W1");
        }
        else
        {
            // No Graphviz here: the DOT text is written instead, with the command that renders it.
            Assert.Contains("not on PATH", output, StringComparison.Ordinal);
            Assert.Contains("dot -Tsvg", output, StringComparison.Ordinal);
            Assert.Contains("z1 = add", File.ReadAllText(folder["mlp.dot"]), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void GradCheckPrintsTheWorstErrorPerOpAndPasses()
    {
        var output = Ok("gradcheck").Output;
        AssertContainsAll(output, "worst rel error", "matmul", "log_softmax", "BatchNorm1d", "CrossEntropyLoss", "checks passed");
        Assert.DoesNotContain("FAILED", output, StringComparison.Ordinal);

        var filtered = Ok("gradcheck", "--filter", "softmax", "--verbose").Output;
        AssertContainsAll(filtered, "softmax", "log_softmax", "SoftmaxCrossEntropy", "(3, 4) over 1");
        Assert.DoesNotContain("matmul", filtered, StringComparison.Ordinal);

        var none = CliRunner.Run("gradcheck", "--filter", "no-such-op");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--filter", none.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainWithDetectAnomalyNamesTheOpThatProducedNaN()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("train", "--data", "data/tabular/diabetes-risk.csv", "--target", "label", "--hidden", "8", "--epochs", "1",
            "--lr", "1e30", "--detect-anomaly", "--out", folder.Path);
        Assert.True(result.ExitCode == 3, $"exit code {result.ExitCode}; stderr: {result.Error}");
        Assert.Matches(@"error: Anomaly detected: the (forward|backward) pass of '[a-z_]+' \(input shapes \(", result.Error);
        Assert.Contains("The op was created at:", result.Error, StringComparison.Ordinal);

        // A healthy run is unaffected by the checks.
        var healthy = CliRunner.Run("train", "--data", "data/tabular/diabetes-risk.csv", "--target", "label", "--hidden", "8", "--epochs", "1",
            "--detect-anomaly", "--json", "--out", folder["healthy"]);
        Assert.True(healthy.ExitCode == 0, $"exit code {healthy.ExitCode}; stderr: {healthy.Error}");
    }
}

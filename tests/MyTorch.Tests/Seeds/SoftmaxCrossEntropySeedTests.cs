using MyTorch.Losses;
using MyTorch.Seed;
using MyTorch.Tests.Losses;
using Xunit;

namespace MyTorch.Tests.Seeds;

/// <summary>
/// Seed 004's softmax cross-entropy criterion (task 3.2 and appendices A and B): Forward returns one loss per
/// example, Derivative() is softmax(x) - y for the last forward pass, and the LogSumExp trick keeps logits
/// like ±1000 finite and exact.
/// </summary>
public class SoftmaxCrossEntropySeedTests
{
    private static readonly double[,] Logits =
    {
        { 0.5, -1.2, 2.0, 0.1 },
        { -0.3, 0.8, -2.5, 1.7 },
        { 1.1, 1.1, -0.4, 0.0 },
    };

    private static readonly long[] Labels = [2, 0, 3];

    private static Tensor OneHot(long[] labels, int classes) => LossGradCheckTests.OneHot(labels, classes);

    /// <summary>log(sum(exp(row))) - row[label], computed directly in double (fine for these small logits).</summary>
    private static double Expected(int row, long label)
    {
        double sum = 0;
        for (int j = 0; j < Logits.GetLength(1); j++) sum += Math.Exp(Logits[row, j]);
        return Math.Log(sum) - Logits[row, label];
    }

    [Fact]
    public void ForwardReturnsOneLossPerExample()
    {
        var criterion = new SoftmaxCrossEntropy();
        Assert.Equal(Reduction.None, criterion.Reduction);
        var loss = criterion.Forward(Tensor.FromArray(Logits), OneHot(Labels, 4));
        Assert.Equal([3], loss.Shape.ToArray());
        for (int i = 0; i < 3; i++) Assert.Equal(Expected(i, Labels[i]), loss.At(i), 1e-14);

        // Class indices give the same losses.
        var fromIndices = criterion.Forward(Tensor.FromArray(Logits), Tensor.FromArray(Labels));
        Assert.Equal(loss.ToArray<double>(), fromIndices.ToArray<double>());
    }

    [Fact]
    public void DerivativeIsSoftmaxMinusOneHotNotDividedByBatch()
    {
        var criterion = new SoftmaxCrossEntropy();
        var x = Tensor.FromArray(Logits);
        var y = OneHot(Labels, 4);
        criterion.Forward(x, y);
        var derivative = criterion.Derivative();
        Assert.Equal([3, 4], derivative.Shape.ToArray());
        for (int i = 0; i < 3; i++)
        {
            double sum = 0;
            for (int j = 0; j < 4; j++) sum += Math.Exp(Logits[i, j]);
            for (int j = 0; j < 4; j++)
                Assert.Equal(Math.Exp(Logits[i, j]) / sum - y.At(i, j), derivative.At(i, j), 1e-15);
        }
        Assert.NotNull(criterion.Softmax);
        var softmax = criterion.Softmax!;
        for (int i = 0; i < 3; i++) Assert.Equal(1.0, softmax.Sum(1).At(i), 1e-15);
        // Each row of softmax - one-hot sums to 0.
        for (int i = 0; i < 3; i++) Assert.Equal(0.0, derivative.Sum(1).At(i), 1e-15);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DerivativeEqualsAutogradGradient(bool classIndices)
    {
        var target = classIndices ? Tensor.FromArray(Labels) : OneHot(Labels, 4);

        // No reduction, summed by hand.
        var criterion = new SoftmaxCrossEntropy();
        var x = Tensor.FromArray(Logits, requiresGrad: true);
        criterion.Forward(x, target).Sum().Backward();
        Assert.Equal(criterion.Derivative().ToArray<double>(), x.Grad!.ToArray<double>());

        // Sum reduction: the same gradient, bit for bit.
        var summed = new SoftmaxCrossEntropy(Reduction.Sum);
        var x2 = Tensor.FromArray(Logits, requiresGrad: true);
        summed.Forward(x2, target).Backward();
        Assert.Equal(summed.Derivative().ToArray<double>(), x2.Grad!.ToArray<double>());

        // Mean reduction: divided by the batch size, which Derivative() is not.
        var mean = new SoftmaxCrossEntropy(Reduction.Mean);
        var x3 = Tensor.FromArray(Logits, requiresGrad: true);
        mean.Forward(x3, target).Backward();
        var expected = mean.Derivative().ToArray<double>();
        var actual = x3.Grad!.ToArray<double>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i] / 3, actual[i], 1e-16);
    }

    [Fact]
    public void DerivativeForProbabilityRowsIsSoftmaxMinusTarget()
    {
        var criterion = new SoftmaxCrossEntropy(Reduction.Sum);
        var x = Tensor.FromArray(Logits, requiresGrad: true);
        var y = Tensor.FromArray(new double[,] { { 0.1, 0.2, 0.3, 0.4 }, { 0.25, 0.25, 0.25, 0.25 }, { 0, 0.5, 0.5, 0 } });
        criterion.Forward(x, y).Backward();
        var derivative = criterion.Derivative();
        var expected = (criterion.Softmax! - y).ToArray<double>();
        var actual = derivative.ToArray<double>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-15);
        var grad = x.Grad!.ToArray<double>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(actual[i], grad[i], 1e-15);
    }

    [Fact]
    public void DerivativeBeforeForwardThrows()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new SoftmaxCrossEntropy().Derivative());
        Assert.Contains("SoftmaxCrossEntropy.Derivative", error.Message, StringComparison.Ordinal);
        Assert.Contains("call Forward first", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DerivativeFollowsTheLastForwardPass()
    {
        var criterion = new SoftmaxCrossEntropy();
        criterion.Forward(Tensor.FromArray(Logits), Tensor.FromArray(Labels));
        var first = criterion.Derivative();
        var other = Tensor.FromArray(new double[,] { { 1, 2 } });
        criterion.Forward(other, Tensor.FromArray(new long[] { 1 }));
        var second = criterion.Derivative();
        Assert.Equal([3, 4], first.Shape.ToArray());
        Assert.Equal([1, 2], second.Shape.ToArray());
        double p = 1 / (1 + Math.Exp(1)); // softmax([1, 2])[0]
        Assert.Equal(p, second.At(0, 0), 1e-15);
        Assert.Equal(-p, second.At(0, 1), 1e-15);
    }

    /// <summary>Appendix B: exp(1000) overflows, but logsumexp(x) = a + log(sum(exp(x - a))) stays exact.</summary>
    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void HugeLogitsGiveFiniteExactValues(DType dtype)
    {
        var logits = Tensor.FromArray(new double[,]
        {
            { 1000, -1000, 0 },
            { -1000, 1000, 999 },
            { 1000, 1000, -1000 },
            { -1000, -1000, -1000 },
        }).To(dtype).RequireGrad();
        long[] labels = [0, 2, 1, 2];
        Assert.False(logits.Detach().Exp().AllFinite()); // the naive softmax overflows

        foreach (var target in new[] { Tensor.FromArray(labels), OneHot(labels, 3).To(dtype) })
        {
            var criterion = new SoftmaxCrossEntropy();
            var loss = criterion.Forward(logits, target);
            Assert.True(loss.AllFinite(), $"loss {loss}");
            double tolerance = dtype == DType.Float64 ? 1e-15 : 5e-7;
            Assert.Equal(0.0, loss.At(0), tolerance);                                 // log(1 + e^-1000 + e^-2000)
            Assert.Equal(1 + Math.Log(1 + Math.Exp(-1)), loss.At(1), tolerance * 2);  // 1000 + log(1 + e^-1) - 999
            Assert.Equal(Math.Log(2), loss.At(2), tolerance);                         // two equal largest logits
            Assert.Equal(Math.Log(3), loss.At(3), tolerance * 2);                     // all equal

            var derivative = criterion.Derivative();
            Assert.True(derivative.AllFinite(), $"derivative {derivative}");
            double p = 1 / (1 + Math.Exp(-1)); // softmax([1000, 999])[0]
            double[] expected = [0, 0, 0, 0, p - 0, (1 - p) - 1, 0.5, 0.5 - 1, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3 - 1];
            var actual = derivative.ToArray<double>();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tolerance * 2);

            logits.Grad = null;
            loss.Sum().Backward();
            Assert.True(logits.Grad!.AllFinite());
            Assert.Equal(derivative.ToArray<double>(), logits.Grad.ToArray<double>());
        }
    }
}

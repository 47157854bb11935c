using MyTorch.Losses;
using SoftmaxCrossEntropy = MyTorch.Seed.SoftmaxCrossEntropy;
using Xunit;

namespace MyTorch.Tests.Losses;

/// <summary>Defaults, the seeds' worked numbers, and the edge cases each loss promises to handle.</summary>
public class LossBehaviourTests
{
    [Fact]
    public void DefaultReductionsFollowPyTorchAndTheSeeds()
    {
        Assert.Equal(Reduction.None, new SoftmaxCrossEntropy().Reduction);
        Assert.Equal(Reduction.Mean, new CrossEntropyLoss().Reduction);
        Assert.Equal(Reduction.Mean, new NLLLoss().Reduction);
        Assert.Equal(Reduction.Mean, new MSELoss().Reduction);
        Assert.Equal(Reduction.Sum, new SumSquaredError().Reduction);
        Assert.Equal(Reduction.Mean, new BCELoss().Reduction);
        Assert.Equal(Reduction.Mean, new BCEWithLogitsLoss().Reduction);
    }

    /// <summary>Seed 002, question 1: L = 1/2 sum (y_hat - y)^2 with no 1/N, and dL/dy_hat = y_hat - y.</summary>
    [Fact]
    public void SumSquaredErrorMatchesSeed002()
    {
        var yHat = Tensor.FromArray(new[] { 0.16936, 0.16936, 0.16936 }, requiresGrad: true);
        var y = Tensor.FromArray(new[] { 0.0, 1.0, 0.0 });
        var loss = new SumSquaredError().Forward(yHat, y);
        double expected = 0.5 * (0.16936 * 0.16936 * 2 + 0.83064 * 0.83064);
        Assert.Equal(expected, loss.Item(), 1e-15);
        Assert.Equal(0.376, loss.Item(), 0.003); // the seed's rounded figure
        loss.Backward();
        Assert.Equal(new[] { 0.16936, 0.16936 - 1, 0.16936 }, yHat.Grad!.ToArray<double>());

        // MSELoss averages the unhalved squares instead: 2/3 of the seed's loss here.
        Assert.Equal(expected * 2 / 3, new MSELoss().Forward(yHat, y).Item(), 1e-15);
        Assert.Equal([3], new SumSquaredError(Reduction.None).Forward(yHat, y).Shape.ToArray());
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void BCELossIsFiniteAtZeroAndOne(DType dtype)
    {
        var p = Tensor.FromArray(new[] { 0.0, 0.0, 1.0, 1.0 }).To(dtype).RequireGrad();
        var y = Tensor.FromArray(new[] { 0.0, 1.0, 0.0, 1.0 }).To(dtype);
        var loss = new BCELoss(Reduction.None).Forward(p, y);
        Assert.Equal(new[] { 0.0, 100.0, 100.0, 0.0 }, loss.ToArray<double>());
        loss.Sum().Backward();
        var grad = p.Grad!.ToArray<double>();
        Assert.True(grad.All(double.IsFinite), string.Join(", ", grad));
        Assert.Equal(0.0, grad[0]);
        Assert.True(grad[1] < -1e11 && grad[2] > 1e11, string.Join(", ", grad));
        Assert.Equal(0.0, grad[3]);
    }

    [Fact]
    public void BCELossThroughASaturatedSigmoidHasAFiniteGradient()
    {
        // float32 sigmoid(20) rounds to exactly 1.
        var z = Tensor.FromArray(new[] { 20f, -120f }, requiresGrad: true);
        var p = z.Sigmoid();
        Assert.Equal(1.0, p.At(0));
        var loss = new BCELoss(Reduction.Sum).Forward(p, Tensor.FromArray(new[] { 0f, 1f }));
        Assert.True(loss.AllFinite());
        loss.Backward();
        Assert.True(z.Grad!.AllFinite(), z.Grad.ToString());
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void BCEWithLogitsIsStableAndSmoothAtZero(DType dtype)
    {
        var x = Tensor.FromArray(new[] { 0.0, 0.0, 1000.0, -1000.0, 1000.0, -1000.0, 30.0 }).To(dtype).RequireGrad();
        var y = Tensor.FromArray(new[] { 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0 }).To(dtype);
        var loss = new BCEWithLogitsLoss(Reduction.None).Forward(x, y);
        double[] expected = [Math.Log(2), Math.Log(2), 0, 0, 1000, 1000, Math.Exp(-30)];
        var actual = loss.ToArray<double>();
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], dtype == DType.Float64 ? 1e-15 * Math.Max(1, expected[i]) : 1e-7 * Math.Max(1, expected[i]));

        loss.Sum().Backward();
        // sigmoid(x) - y: 1/2 - y at x = 0, where max(x, 0) and |x| have their kinks.
        double[] expectedGrad = [-0.5, 0.5, 0, 0, 1, -1, -Math.Exp(-30) / (1 + Math.Exp(-30))];
        var grad = x.Grad!.ToArray<double>();
        for (int i = 0; i < expectedGrad.Length; i++) Assert.Equal(expectedGrad[i], grad[i], 1e-7);
    }

    [Fact]
    public void CrossEntropyIgnoresAMaskedClassWithClassIndexTargets()
    {
        var logits = Tensor.FromArray(new[,] { { 1.0, double.NegativeInfinity, 0.5 }, { double.NegativeInfinity, 2.0, -1.0 } },
            requiresGrad: true);
        var loss = new CrossEntropyLoss(Reduction.Sum).Forward(logits, Tensor.FromArray(new long[] { 0, 1 }));
        Assert.True(loss.AllFinite(), loss.ToString());
        double expected = Math.Log(1 + Math.Exp(-0.5)) + Math.Log(1 + Math.Exp(-3));
        Assert.Equal(expected, loss.Item(), 1e-15);
        loss.Backward();
        Assert.True(logits.Grad!.AllFinite(), logits.Grad.ToString());
        Assert.Equal(0.0, logits.Grad.At(0, 1));
    }

    [Fact]
    public void NLLLossAfterLogSoftmaxEqualsCrossEntropy()
    {
        var logits = Tensor.Uniform([5, 4], -3, 3, new Generator(7), DType.Float64);
        var labels = Tensor.FromArray(new long[] { 3, 0, 2, 2, 1 });
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            var nll = new NLLLoss(reduction).Forward(logits.LogSoftmax(1), labels).ToArray<double>();
            var ce = new CrossEntropyLoss(reduction).Forward(logits, labels).ToArray<double>();
            Assert.Equal(ce, nll);
        }
    }

    [Fact]
    public void LossesWorkInFloat32()
    {
        var x = Tensor.Uniform([3, 4], -2, 2, new Generator(3), DType.Float32, requiresGrad: true);
        var p = Tensor.Uniform([3, 4], 0.1, 0.9, new Generator(4), DType.Float32, requiresGrad: true);
        var y = Tensor.Uniform([3, 4], 0, 1, new Generator(5), DType.Float32);
        var labels = Tensor.FromArray(new long[] { 1, 3, 0 });
        Tensor[] losses =
        [
            new SoftmaxCrossEntropy().Forward(x, labels), new CrossEntropyLoss().Forward(x, y.Softmax(1)),
            new NLLLoss().Forward(x.LogSoftmax(1), labels), new MSELoss().Forward(x, y), new SumSquaredError().Forward(x, y),
            new BCELoss().Forward(p, y), new BCEWithLogitsLoss().Forward(x, y),
        ];
        foreach (var loss in losses)
        {
            Assert.Equal(DType.Float32, loss.DType);
            Assert.True(loss.AllFinite());
            loss.Sum().Backward();
        }
        Assert.Equal(DType.Float32, x.Grad!.DType);
        Assert.Equal(DType.Float32, p.Grad!.DType);
    }
}

using System.Globalization;
using MyTorch.Seed;
using Xunit;

namespace MyTorch.Tests.Seeds;

/// <summary>
/// Seed 004's components used alone, each against the seed's formulas and hand-worked numbers: Linear (3.4:
/// backward(delta) returns dx, and dW, db are averaged over the batch), BatchNorm (3.3 and appendix C: dgamma and
/// dbeta summed over the batch, dx by the appendix formulas, running statistics with alpha), SoftmaxCrossEntropy
/// (3.2: forward(x, y) and derivative()), and the MLP's backward as the chain of its layers' own backward passes.
/// The PyTorch-style core modules keep PyTorch's semantics (gradients of whatever loss is differentiated).
/// </summary>
public class Seed004ComponentTests
{
    private static double[] Values(Tensor t) => t.ToArray<double>();

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = tolerance * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed, string.Create(CultureInfo.InvariantCulture,
                $"{what}[{i}]: got {actual[i]:R}, expected {expected[i]:R} (difference {Math.Abs(expected[i] - actual[i]):E3}, allowed {allowed:E3})."));
        }
    }

    private static Tensor Randn64(ulong seed, int[] shape, double scale = 1, double offset = 0)
    {
        var gen = new Generator(seed);
        var values = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = offset + scale * gen.NextNormal();
        return Tensor.FromArray(values, shape);
    }

    // ---- Linear -----------------------------------------------------------------------------------------------------

    private static readonly double[,] X = { { 1, 2 }, { 3, 4 } };
    private static readonly double[,] W = { { 1, 0, -1 }, { 2, 1, 0 } };
    private static readonly double[,] Bias = { { 0.5, -0.5, 1 } };
    private static readonly double[,] Delta = { { 1, 0, 2 }, { 0, 1, -1 } };

    private static Linear WorkedLinear() =>
        new(2, 3, (i, o) => Tensor.FromArray(W), o => Tensor.FromArray(Bias));

    /// <summary>
    /// z = xW + b = [[5.5, 1.5, 0], [11.5, 3.5, -2]]; dx = delta W^T = [[-1, 2], [1, 1]];
    /// x^T delta = [[1, 3, -1], [2, 4, 0]], so dW = that / 2 and db = the mean of delta's rows = [0.5, 0.5, 0.5].
    /// </summary>
    [Fact]
    public void LinearForwardAndBackwardGiveTheSeedsNumbers()
    {
        var linear = WorkedLinear();
        Assert.Equal([2, 3], linear.W.Shape.ToArray());
        Assert.Equal([1, 3], linear.B.Shape.ToArray());
        Assert.Equal(new double[6], Values(linear.DW));
        Assert.Equal(new double[6], Values(linear.MomentumW));
        Assert.Equal(new double[3], Values(linear.MomentumB));

        var z = linear.Forward(Tensor.FromArray(X));
        Assert.Equal([5.5, 1.5, 0, 11.5, 3.5, -2], Values(z));
        var dx = linear.Backward(Tensor.FromArray(Delta));
        Assert.Equal([2, 2], dx.Shape.ToArray());
        Assert.Equal([-1.0, 2, 1, 1], Values(dx));
        Assert.Equal([0.5, 1.5, -0.5, 1, 2, 0], Values(linear.DW));
        Assert.Equal([2, 3], linear.DW.Shape.ToArray());
        Assert.Equal([0.5, 0.5, 0.5], Values(linear.DB));
        Assert.Equal([1, 3], linear.DB.Shape.ToArray());
        Assert.False(dx.RequiresGrad);
    }

    [Fact]
    public void CoreLinearKeepsPyTorchsSemantics()
    {
        // The module under the seed's layer differentiates the loss it is given: here sum(z * delta), whose weight
        // gradient is the batch sum x^T delta, m times the seed's batch-averaged dW.
        var linear = WorkedLinear();
        var z = linear.Module.Forward(Tensor.FromArray(X));
        (z * Tensor.FromArray(Delta)).Sum().Backward();
        Assert.Equal([1.0, 3, -1, 2, 4, 0], Values(linear.Module.W.Grad!));
        Assert.Equal([1.0, 1, 1], Values(linear.Module.B!.Grad!));
        Assert.Null(typeof(MyTorch.NN.Linear).GetProperty("DW"));
        Assert.Null(typeof(MyTorch.NN.Linear).GetProperty("DB"));
    }

    [Fact]
    public void LinearBackwardMatchesTheFormulasOnRandomBatches()
    {
        foreach (int m in new[] { 1, 4, 9 })
        {
            var linear = new Linear(5, 3, dtype: DType.Float64);
            var x = Randn64(200 + (ulong)m, [m, 5]);
            var delta = Randn64(300 + (ulong)m, [m, 3]);
            linear.Forward(x);
            var dx = linear.Backward(delta);
            AssertClose(Values(delta.MatMul(linear.W.Detach().T)), Values(dx), 1e-14, $"dx (m = {m})");
            AssertClose(Values(x.T.MatMul(delta) / m), Values(linear.DW), 1e-14, $"dW (m = {m})");
            AssertClose(Values(delta.Sum(0, keepDim: true) / m), Values(linear.DB), 1e-14, $"db (m = {m})");
        }
    }

    [Fact]
    public void LinearBackwardChecksDeltaAndChangesNothingWhenItThrows()
    {
        var linear = WorkedLinear();
        Assert.Throws<InvalidOperationException>(() => linear.Backward(Tensor.FromArray(Delta)));
        linear.Forward(Tensor.FromArray(X));
        linear.Backward(Tensor.FromArray(Delta));
        var dw = Values(linear.DW);
        var error = Assert.Throws<TensorShapeException>(() => linear.Backward(Tensor.Zeros([2, 4], DType.Float64)));
        Assert.Contains("Linear(2 -> 3).Backward", error.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 4)", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<TensorShapeException>(() => linear.Backward(Tensor.Zeros([2, 3], DType.Float32)));
        Assert.Contains("float32", error.Message, StringComparison.Ordinal);
        Assert.Equal(dw, Values(linear.DW));
    }

    // ---- BatchNorm --------------------------------------------------------------------------------------------------

    /// <summary>
    /// Columns [1, 3] and [0, 4]: mu = (2, 2), biased var = (1, 4), so x̂ = ∓(1, 2)/sqrt(var + 1e-8) and, with gamma = 2 and
    /// beta = 0.5, y = 2 x̂ + 0.5. Running mean 0.9 * 0 + 0.1 * mu = (0.2, 0.2); running var 0.9 + 0.1 var = (1.0, 1.3).
    /// With delta = [[1, 2], [0, 1]], dbeta = (1, 3) and dgamma = sum delta x̂ = (-1/sqrt(1 + eps), -2/sqrt(4 + eps)).
    /// </summary>
    [Fact]
    public void BatchNormGivesTheSeedsNumbers()
    {
        const double eps = 1e-8;
        var bn = new BatchNorm(2, dtype: DType.Float64);
        Assert.Equal(1e-8, bn.Eps);
        Assert.Equal(0.9, bn.Alpha);
        bn.Gamma.Fill(2);
        bn.Beta.Fill(0.5);
        var y = bn.Forward(Tensor.FromArray(new double[,] { { 1, 0 }, { 3, 4 } }));
        double a = 1 / Math.Sqrt(1 + eps), b = 2 / Math.Sqrt(4 + eps);
        AssertClose([-2 * a + 0.5, -2 * b + 0.5, 2 * a + 0.5, 2 * b + 0.5], Values(y), 1e-15, "y");
        AssertClose([0.2, 0.2], Values(bn.RunningMean), 1e-15, "running mean");
        AssertClose([1.0, 1.3], Values(bn.RunningVar), 1e-15, "running var");

        var dx = bn.Backward(Tensor.FromArray(new double[,] { { 1, 2 }, { 0, 1 } }));
        AssertClose([1, 3], Values(bn.DBeta), 1e-15, "dbeta = sum delta");
        AssertClose([-a, -b], Values(bn.DGamma), 1e-15, "dgamma = sum delta x̂");
        // With two rows x̂ is ±1 whatever x is, so dx is 0 but for eps.
        AssertClose([0, 0, 0, 0], Values(dx), 1e-7, "dx");
        AssertClose([0.2, 0.2], Values(bn.RunningMean), 1e-15, "running mean after backward");
        AssertClose([1.0, 1.3], Values(bn.RunningVar), 1e-15, "running var after backward");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(16)]
    public void BatchNormBackwardMatchesAppendixFormulas(int m)
    {
        const double eps = 1e-8;
        var bn = new BatchNorm(3, dtype: DType.Float64);
        bn.Gamma.CopyFrom(Randn64(100, [3], 0.5, 1));
        bn.Beta.CopyFrom(Randn64(101, [3], 0.5, 0));
        var xTensor = Randn64(102, [m, 3], scale: 1.5, offset: -0.5);
        var deltaTensor = Randn64(103, [m, 3]);
        var y = bn.Forward(xTensor);
        var dxTensor = bn.Backward(deltaTensor);

        var xs = Values(xTensor);
        var delta = Values(deltaTensor);
        var gamma = Values(bn.Gamma);
        var beta = Values(bn.Beta);
        var yExpected = new double[m * 3];
        var dx = new double[m * 3];
        var dgamma = new double[3];
        var dbeta = new double[3];
        for (int j = 0; j < 3; j++)
        {
            double mu = 0, variance = 0;
            for (int i = 0; i < m; i++) mu += xs[i * 3 + j] / m;
            for (int i = 0; i < m; i++) variance += (xs[i * 3 + j] - mu) * (xs[i * 3 + j] - mu) / m;
            double invStd = 1 / Math.Sqrt(variance + eps);
            var dxHat = new double[m];
            double dVar = 0, sumDxHat = 0, sumCentered = 0;
            for (int i = 0; i < m; i++)
            {
                double centered = xs[i * 3 + j] - mu, xHat = centered * invStd, d = delta[i * 3 + j];
                yExpected[i * 3 + j] = gamma[j] * xHat + beta[j];
                dxHat[i] = d * gamma[j];                                           // (42)
                dbeta[j] += d;                                                      // (43)
                dgamma[j] += d * xHat;                                              // (44)
                dVar += -0.5 * dxHat[i] * centered * Math.Pow(variance + eps, -1.5); // (45), (20)
                sumDxHat += dxHat[i];
                sumCentered += centered;
            }
            double dMu = -sumDxHat * invStd - 2.0 / m * dVar * sumCentered;       // (27)
            for (int i = 0; i < m; i++)
                dx[i * 3 + j] = dxHat[i] * invStd + dVar * (2.0 / m) * (xs[i * 3 + j] - mu) + dMu / m; // (37)
        }
        AssertClose(yExpected, Values(y), 1e-12, "y");
        AssertClose(dgamma, Values(bn.DGamma), 1e-11, "dgamma");
        AssertClose(dbeta, Values(bn.DBeta), 1e-12, "dbeta");
        AssertClose(dx, Values(dxTensor), 1e-10, "dx");
    }

    [Fact]
    public void BatchNormEvalUsesAndKeepsTheRunningStatistics()
    {
        var bn = new BatchNorm(2, dtype: DType.Float64);
        bn.Forward(Tensor.FromArray(new double[,] { { 1, 0 }, { 3, 4 } }));
        var runningMean = Values(bn.RunningMean);
        var runningVar = Values(bn.RunningVar);
        bn.Gamma.Fill(2);
        var x = Tensor.FromArray(new double[,] { { 0.2, 1.2 } });
        var y = bn.Forward(x, eval: true);
        AssertClose([0, 2 / Math.Sqrt(1.3 + 1e-8)], Values(y), 1e-15, "eval output");
        Assert.Equal(runningMean, Values(bn.RunningMean));
        Assert.Equal(runningVar, Values(bn.RunningVar));
        // The backward of the evaluation forward: dx = delta gamma / sqrt(Var[x] + eps), dbeta = sum delta.
        var dx = bn.Backward(Tensor.FromArray(new double[,] { { 1, 1 } }));
        AssertClose([2 / Math.Sqrt(1 + 1e-8), 2 / Math.Sqrt(1.3 + 1e-8)], Values(dx), 1e-15, "eval dx");
        AssertClose([1, 1], Values(bn.DBeta), 1e-15, "eval dbeta");
        Assert.Equal(runningMean, Values(bn.RunningMean));
    }

    [Fact]
    public void BatchNormForwardThatThrowsChangesNothing()
    {
        var bn = new BatchNorm(3);
        bn.Forward(Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 3, 4, 5 } }));
        var mean = bn.RunningMean.ToArray<float>();
        var variance = bn.RunningVar.ToArray<float>();
        for (int call = 0; call < 3; call++)
        {
            var error = Assert.Throws<TensorShapeException>(() => bn.Forward(Tensor.FromArray(new double[,] { { 1, 2, 3 } })));
            Assert.Equal("BatchNorm1d(3): input is float64 but the layer is float32; convert one with To(DType). (Parameter 'input')", error.Message);
            Assert.Throws<TensorShapeException>(() => bn.Forward(Tensor.Zeros([2, 4])));
        }
        Assert.Equal(mean, bn.RunningMean.ToArray<float>());
        Assert.Equal(variance, bn.RunningVar.ToArray<float>());
        Assert.True(bn.Module.IsTraining);
    }

    // ---- SoftmaxCrossEntropy ----------------------------------------------------------------------------------------

    /// <summary>Logits (0, ln 3) give softmax (1/4, 3/4): for label 1 the loss is -ln(3/4) and the derivative (1/4, -1/4).</summary>
    [Fact]
    public void SoftmaxCrossEntropyGivesTheSeedsNumbers()
    {
        var criterion = new SoftmaxCrossEntropy();
        var loss = criterion.Forward(Tensor.FromArray(new[,] { { 0, Math.Log(3) }, { 0, Math.Log(3) } }),
            Tensor.FromArray(new double[,] { { 0, 1 }, { 1, 0 } }));
        Assert.Equal([2], loss.Shape.ToArray());
        AssertClose([-Math.Log(0.75), -Math.Log(0.25)], Values(loss), 1e-15, "loss");
        AssertClose([0.25, -0.25, -0.75, 0.75], Values(criterion.Derivative()), 1e-15, "softmax - y");
    }

    // ---- the MLP as its layers' own backward passes -------------------------------------------------------------------

    /// <summary>
    /// The seed's backward written out with the components' own methods (criterion derivative, activation
    /// derivatives, BatchNorm and Linear backward) gives the gradients MLP.Backward computes in one autograd pass.
    /// </summary>
    [Fact]
    public void MlpBackwardEqualsTheChainOfItsLayersBackward()
    {
        var generator = new Generator(41);
        Tensor Init(int i, int o) => Tensor.Normal([i, o], 0, 1 / Math.Sqrt(i), generator, DType.Float64);
        static Tensor BiasInit(int o) => Tensor.Zeros([1, o], DType.Float64);
        Activation[] activations = [new Sigmoid(), new Tanh(), new Identity()];
        var mlp = new MLP(6, 4, [5, 3], activations, Init, BiasInit, new SoftmaxCrossEntropy(), 0.1, numBnLayers: 1);
        var x = Randn64(42, [7, 6]);
        var labels = Tensor.FromArray(new long[] { 0, 3, 1, 2, 2, 0, 1 });
        var output = mlp.Forward(x);
        mlp.Backward(labels);
        var fromMlp = mlp.LinearLayers.Select(l => (Values(l.DW), Values(l.DB))).ToArray();
        var (dGamma, dBeta) = (Values(mlp.BnLayers[0].DGamma), Values(mlp.BnLayers[0].DBeta));

        var criterion = new SoftmaxCrossEntropy();
        criterion.Forward(output.Detach(), labels);
        var delta = criterion.Derivative();
        for (int i = 2; i >= 0; i--)
        {
            delta = delta * activations[i].Derivative();
            if (i == 0) delta = mlp.BnLayers[0].Backward(delta);
            delta = mlp.LinearLayers[i].Backward(delta);
        }
        for (int i = 0; i < 3; i++)
        {
            AssertClose(fromMlp[i].Item1, Values(mlp.LinearLayers[i].DW), 1e-13, $"dW[{i}]");
            AssertClose(fromMlp[i].Item2, Values(mlp.LinearLayers[i].DB), 1e-13, $"db[{i}]");
        }
        AssertClose(dGamma, Values(mlp.BnLayers[0].DGamma), 1e-13, "dgamma");
        AssertClose(dBeta, Values(mlp.BnLayers[0].DBeta), 1e-13, "dbeta");
        Assert.Equal([7, 6], delta.Shape.ToArray());
    }

    [Fact]
    public void MlpForwardThatThrowsChangesNothing()
    {
        var generator = new Generator(43);
        Activation[] activations = [new Sigmoid(), new Identity()];
        var mlp = new MLP(3, 2, [4], activations, (i, o) => Tensor.Normal([i, o], 0, 1, generator), null, new SoftmaxCrossEntropy(), 0.1, numBnLayers: 1);
        var x = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 0, 1, -1 } });
        var output = mlp.Forward(x);
        var state = mlp.StateDict();
        var snapshot = state.Keys.ToDictionary(k => k, k => state[k].ToArray<float>());
        var activationState = activations[0].State!.ToArray<float>();
        foreach (var bad in new[] { Tensor.Zeros([2, 3], DType.Float64), Tensor.Zeros([2, 4]), Tensor.Zeros([3]), Tensor.Zeros([0, 3]) })
        {
            var error = Assert.Throws<TensorShapeException>(() => mlp.Forward(bad));
            Assert.StartsWith("MLP: ", error.Message, StringComparison.Ordinal);
        }
        Assert.Same(output, mlp.Output);
        foreach (var (key, values) in snapshot) Assert.Equal(values, mlp.StateDict()[key].ToArray<float>());
        Assert.Equal(activationState, activations[0].State!.ToArray<float>());
    }
}

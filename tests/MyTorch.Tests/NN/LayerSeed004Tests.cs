using System.Globalization;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.NN;

/// <summary>
/// Seed 004's BatchNorm in the core module (defaults, running statistics, and the appendix C backward computed by hand); the seed's own classes are tested in Tests/Seeds.
/// </summary>
public class LayerSeed004Tests : LayerTestBase
{
    // ---- seed 004 BatchNorm -----------------------------------------------------------------------------------

    private static double[,] ToMatrix(Tensor t)
    {
        var v = Values(t);
        int rows = t.Shape[0], cols = t.Shape[1];
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i, j] = v[i * cols + j];
        return m;
    }

    private static double[] Flat(double[,] m) => m.Cast<double>().ToArray();

    private static (double[] Mean, double[] Var) BatchStats(double[,] x)
    {
        int rows = x.GetLength(0), cols = x.GetLength(1);
        var mean = new double[cols];
        var variance = new double[cols];
        for (int j = 0; j < cols; j++)
        {
            for (int i = 0; i < rows; i++) mean[j] += x[i, j];
            mean[j] /= rows;
            for (int i = 0; i < rows; i++) variance[j] += (x[i, j] - mean[j]) * (x[i, j] - mean[j]);
            variance[j] /= rows; // biased
        }
        return (mean, variance);
    }

    [Fact]
    public void BatchNormDefaultsFollowSeed004()
    {
        var bn = new BatchNorm1d(3);
        Assert.Equal(1e-8, bn.Eps);
        Assert.Equal(0.9, bn.Alpha);
        Assert.True(bn.IsTraining);
        Assert.Equal(new double[3], Values(bn.RunningMean));
        Assert.Equal(new[] { 1.0, 1, 1 }, Values(bn.RunningVar));
        Assert.Equal(new[] { 1.0, 1, 1 }, Values(bn.Gamma));
        Assert.Equal(new double[3], Values(bn.Beta));
        Assert.Equal(["weight", "bias"], bn.NamedParameters().Select(p => p.Name));
        Assert.Equal(["running_mean", "running_var"], bn.NamedBuffers().Select(b => b.Name));
    }

    [Fact]
    public void BatchNormRunningStatisticsAndEvalFollowSeed004()
    {
        var bn = new BatchNorm1d(3, dtype: DType.Float64);
        var x1 = Randn64(90, [6, 3], scale: 2, offset: 3, requiresGrad: false);
        var (mean1, var1) = BatchStats(ToMatrix(x1));
        bn.Forward(x1);
        // E[x] = 0.9 * 0 + 0.1 * mu_B; Var[x] = 0.9 * 1 + 0.1 * sigma²_B (biased).
        AssertClose(mean1.Select(m => 0.1 * m).ToArray(), Values(bn.RunningMean), 1e-14, "running_mean after one step");
        AssertClose(var1.Select(v => 0.9 + 0.1 * v).ToArray(), Values(bn.RunningVar), 1e-14, "running_var after one step");

        var x2 = Randn64(91, [4, 3], scale: 0.5, offset: -1, requiresGrad: false);
        var (mean2, var2) = BatchStats(ToMatrix(x2));
        bn.Forward(x2);
        var runningMean = mean1.Zip(mean2, (a, b) => 0.9 * (0.1 * a) + 0.1 * b).ToArray();
        var runningVar = var1.Zip(var2, (a, b) => 0.9 * (0.9 + 0.1 * a) + 0.1 * b).ToArray();
        AssertClose(runningMean, Values(bn.RunningMean), 1e-14, "running_mean after two steps");
        AssertClose(runningVar, Values(bn.RunningVar), 1e-14, "running_var after two steps");

        // Evaluation normalizes with the running statistics and leaves them alone.
        Randomize(bn.Gamma, 92, 0.5, 1);
        Randomize(bn.Beta, 93, 0.5, 0);
        var gamma = Values(bn.Gamma);
        var beta = Values(bn.Beta);
        bn.Eval();
        var x3 = Randn64(94, [5, 3], requiresGrad: false);
        var y = bn.Forward(x3);
        var xs = ToMatrix(x3);
        var expected = new double[5, 3];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 3; j++)
                expected[i, j] = (xs[i, j] - runningMean[j]) / Math.Sqrt(runningVar[j] + 1e-8) * gamma[j] + beta[j];
        AssertClose(Flat(expected), Values(y), 1e-13, "eval output");
        AssertClose(runningMean, Values(bn.RunningMean), 1e-14, "running_mean after eval");
        AssertClose(runningVar, Values(bn.RunningVar), 1e-14, "running_var after eval");

        // A batch of one works in evaluation mode (no batch statistics are needed).
        Assert.True(bn.Forward(Randn64(95, [1, 3], requiresGrad: false)).AllFinite());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(16)]
    public void BatchNormBackwardMatchesAppendixFormulas(int m)
    {
        const double eps = 1e-8;
        var bn = new BatchNorm1d(3, dtype: DType.Float64);
        Randomize(bn.Gamma, 100, 0.5, 1);
        Randomize(bn.Beta, 101, 0.5, 0);
        var x = Randn64(102, [m, 3], scale: 1.5, offset: -0.5);
        var deltaTensor = Randn64(103, [m, 3], requiresGrad: false);
        var y = bn.Forward(x);
        y.Backward(deltaTensor);

        // Seed 004, appendix C, with plain doubles: eqs. (38)-(41) forward, (42)-(45) and (37) backward.
        var xs = ToMatrix(x);
        var delta = ToMatrix(deltaTensor);
        var gamma = Values(bn.Gamma);
        var beta = Values(bn.Beta);
        var (mu, variance) = BatchStats(xs);
        var yExpected = new double[m, 3];
        var dx = new double[m, 3];
        var dgamma = new double[3];
        var dbeta = new double[3];
        for (int j = 0; j < 3; j++)
        {
            double invStd = 1 / Math.Sqrt(variance[j] + eps);
            var xHat = new double[m];
            var dxHat = new double[m];
            double dVar = 0, sumDxHat = 0, sumCentered = 0;
            for (int i = 0; i < m; i++)
            {
                xHat[i] = (xs[i, j] - mu[j]) * invStd;
                yExpected[i, j] = gamma[j] * xHat[i] + beta[j];
                dxHat[i] = delta[i, j] * gamma[j];                                              // (42)
                dbeta[j] += delta[i, j];                                                         // (43)
                dgamma[j] += delta[i, j] * xHat[i];                                              // (44)
                dVar += -0.5 * dxHat[i] * (xs[i, j] - mu[j]) * Math.Pow(variance[j] + eps, -1.5); // (45), (20)
                sumDxHat += dxHat[i];
                sumCentered += xs[i, j] - mu[j];
            }
            double dMu = -sumDxHat * invStd - 2.0 / m * dVar * sumCentered;                    // (27)
            for (int i = 0; i < m; i++)
                dx[i, j] = dxHat[i] * invStd + dVar * (2.0 / m) * (xs[i, j] - mu[j]) + dMu / m;  // (37)
        }

        AssertClose(Flat(yExpected), Values(y), 1e-12, "y");
        AssertShape(bn.Gamma.Grad!, 3);
        AssertShape(bn.Beta.Grad!, 3);
        AssertClose(dgamma, Values(bn.Gamma.Grad!), 1e-11, "dgamma = sum(delta * x_hat)");
        AssertClose(dbeta, Values(bn.Beta.Grad!), 1e-12, "dbeta = sum(delta)");
        AssertClose(Flat(dx), Values(x.Grad!), 1e-10, "dx (appendix formulas)");

        // The same gradients from autograd through the unfused composite formula.
        var x2 = x.Detach().Clone().RequireGrad();
        var g2 = bn.Gamma.Detach().Clone().RequireGrad();
        var b2 = bn.Beta.Detach().Clone().RequireGrad();
        var centered = x2 - x2.Mean(0, keepDim: true);
        var composite = centered / ((centered * centered).Mean(0, keepDim: true) + eps).Sqrt() * g2 + b2;
        AssertClose(Values(composite), Values(y), 1e-12, "y vs composite");
        var grads = Autograd.Grad([composite], [x2, g2, b2], [deltaTensor]);
        AssertClose(Values(grads[0]!), Values(x.Grad!), 1e-10, "dx vs composite autograd");
        AssertClose(Values(grads[1]!), Values(bn.Gamma.Grad!), 1e-11, "dgamma vs composite autograd");
        AssertClose(Values(grads[2]!), Values(bn.Beta.Grad!), 1e-12, "dbeta vs composite autograd");
    }
}

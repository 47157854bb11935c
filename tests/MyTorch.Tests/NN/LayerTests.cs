using System.Globalization;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.NN;

/// <summary>
/// The layers of MyTorch.NN: float64 finite-difference gradient checks of every module (with respect to its input
/// and its parameters), seed 004's BatchNorm semantics in the core module (defaults, running statistics, and the
/// appendix C backward computed by hand; the seed's own classes are tested in Tests/Seeds),
/// Dropout, the output activations, the initializers, and the errors for bad arguments and inputs.
/// </summary>
public class LayerTests
{
    // ---- helpers -----------------------------------------------------------------------------------------------

    private static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Seeded standard-normal float64 values (scaled and shifted), requiring grad unless told otherwise.</summary>
    private static Tensor Randn64(ulong seed, int[] shape, double scale = 1, double offset = 0, bool requiresGrad = true)
    {
        var gen = new Generator(seed);
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = offset + scale * gen.NextNormal();
        return Tensor.FromArray(values, shape, requiresGrad);
    }

    /// <summary>Random sign, magnitude in [0.2, 1.7): away from the kink of ReLU and LeakyReLU at 0.</summary>
    private static Tensor AwayFromZero(ulong seed, int[] shape)
    {
        var gen = new Generator(seed);
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++)
            values[i] = (gen.NextDouble() < 0.5 ? -1 : 1) * (0.2 + 1.5 * gen.NextDouble());
        return Tensor.FromArray(values, shape, requiresGrad: true);
    }

    private static double[] Values(Tensor t) => t.ToArray<double>();

    private static void AssertGradCheck(Func<Tensor[], Tensor> function, params Tensor[] inputs)
    {
        var result = GradCheck.Check(function, inputs);
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(inputs.Where(t => t.RequiresGrad).Sum(t => t.Count), result.ElementsChecked);
    }

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

    private static void AssertShape(Tensor t, params int[] shape) =>
        Assert.True(t.Shape.SequenceEqual(shape), $"shape {Shapes.Format(t.Shape)}, expected {Shapes.Format(shape)}.");

    /// <summary>Sets a parameter to seeded random values (so gradients w.r.t. gamma, LayerNorm weight, ... are not at a trivial point).</summary>
    private static void Randomize(Tensor parameter, ulong seed, double scale, double offset) =>
        parameter.CopyFrom(Randn64(seed, parameter.ShapeArray, scale, offset, requiresGrad: false).To(parameter.DType));

    public static TheoryData<string> ActivationNames() => ["Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softplus", "GELU"];

    private static Activation MakeActivation(string name) => name switch
    {
        "Identity" => new Identity(),
        "Sigmoid" => new Sigmoid(),
        "Tanh" => new Tanh(),
        "ReLU" => new ReLU(),
        "LeakyReLU" => new LeakyReLU(0.2),
        "Softplus" => new Softplus(),
        "GELU" => new GELU(),
        _ => throw new ArgumentException($"unknown activation {name}", nameof(name)),
    };

    public static TheoryData<string> OutputActivationNames() =>
        ["NegativeSoftplus", "Bounded(-2,3)", "range:0,10", "relu", "softplus", "negative", "none"];

    private static Module MakeOutputActivation(string name) => name switch
    {
        "NegativeSoftplus" => new NegativeSoftplus(),
        "Bounded(-2,3)" => new Bounded(-2, 3),
        _ => OutputActivations.Parse(name),
    };

    // ---- gradient checks (float64 finite differences) ------------------------------------------------------------

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LinearGradCheck(bool bias)
    {
        var layer = new Linear(4, 3, bias, DType.Float64, new Generator(1));
        var x = Randn64(2, [5, 4]);
        var inputs = bias ? new[] { x, layer.W, layer.B! } : new[] { x, layer.W };
        AssertGradCheck(a => layer.Forward(x), inputs);
    }

    [Fact]
    public void LinearConvertedToFloat64GradCheck()
    {
        var layer = new Linear(3, 4, generator: new Generator(3));
        var before = Values(layer.W);
        var w = layer.W;
        layer.To(DType.Float64);
        Assert.Same(w, layer.W);
        Assert.Equal(DType.Float64, layer.W.DType);
        Assert.Equal(DType.Float64, layer.B!.DType);
        Assert.True(layer.W.RequiresGrad && layer.B.RequiresGrad);
        Assert.Equal(before, Values(layer.W));
        var x = Randn64(4, [2, 3, 3]);
        AssertGradCheck(a => layer.Forward(x), x, layer.W, layer.B);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    public void BatchNormTrainingGradCheck(int batch)
    {
        var bn = new BatchNorm1d(3, dtype: DType.Float64);
        Randomize(bn.Gamma, 10, 0.5, 1);
        Randomize(bn.Beta, 11, 0.5, 0);
        var x = Randn64((ulong)(20 + batch), [batch, 3], scale: 2, offset: 1);
        AssertGradCheck(a => bn.Forward(x), x, bn.Gamma, bn.Beta);
    }

    [Fact]
    public void BatchNormBatchOfOneIsFinite()
    {
        // One example: the batch variance is 0, x̂ = 0 / sqrt(eps) = 0, so y = beta and dL/dx = 0 (too degenerate for
        // finite differences: the output does not depend on x at all, and 1/sqrt(eps) = 1e4 amplifies rounding).
        var bn = new BatchNorm1d(3, dtype: DType.Float64);
        Randomize(bn.Beta, 12, 0.5, 0);
        var x = Randn64(13, [1, 3]);
        var y = bn.Forward(x);
        Assert.True(y.AllFinite(), y.ToString());
        AssertClose(Values(bn.Beta), Values(y), 1e-12, "y (batch of one)");
        var delta = Randn64(14, [1, 3], requiresGrad: false);
        y.Backward(delta);
        Assert.True(x.Grad!.AllFinite() && bn.Gamma.Grad!.AllFinite() && bn.Beta.Grad!.AllFinite());
        AssertClose(new double[3], Values(x.Grad), 1e-9, "dx (batch of one)");
        AssertClose(Values(delta), Values(bn.Beta.Grad), 1e-12, "dbeta (batch of one)");
        Assert.True(bn.RunningMean.AllFinite() && bn.RunningVar.AllFinite());
    }

    [Fact]
    public void BatchNormEvalGradCheck()
    {
        var bn = new BatchNorm1d(4, dtype: DType.Float64);
        bn.Forward(Randn64(30, [6, 4], scale: 3, offset: 2, requiresGrad: false));
        bn.Forward(Randn64(31, [6, 4], scale: 0.5, offset: -1, requiresGrad: false));
        bn.Eval();
        Randomize(bn.Gamma, 32, 0.5, 1);
        Randomize(bn.Beta, 33, 0.5, 0);
        var x = Randn64(34, [5, 4]);
        AssertGradCheck(a => bn.Forward(x), x, bn.Gamma, bn.Beta);
    }

    [Theory]
    [InlineData(new[] { 4, 5 })]
    [InlineData(new[] { 2, 3, 5 })]
    public void LayerNormGradCheck(int[] shape)
    {
        var ln = new LayerNorm(5, dtype: DType.Float64);
        Randomize(ln.Weight!, 40, 0.5, 1);
        Randomize(ln.Bias!, 41, 0.5, 0);
        var x = Randn64(42, shape, scale: 2, offset: 0.5);
        AssertGradCheck(a => ln.Forward(x), x, ln.Weight!, ln.Bias!);
    }

    [Fact]
    public void LayerNormWithoutAffineGradCheck()
    {
        var ln = new LayerNorm(6, elementwiseAffine: false, dtype: DType.Float64);
        Assert.Empty(ln.Parameters());
        var x = Randn64(43, [3, 6]);
        AssertGradCheck(a => ln.Forward(a[0]), x);
    }

    [Fact]
    public void ResidualGradCheck()
    {
        var inner = new Linear(4, 4, dtype: DType.Float64, generator: new Generator(50));
        var block = new Residual(inner);
        var x = Randn64(51, [3, 4]);
        var y = block.Forward(x);
        using (Autograd.NoGrad())
            AssertClose(Values(x + inner.Forward(x)), Values(y), 1e-14, "x + f(x)");
        AssertGradCheck(a => block.Forward(x), x, inner.W, inner.B!);
    }

    [Fact]
    public void SequentialGradCheck()
    {
        var gen = new Generator(60);
        var net = new Sequential(
            new Linear(3, 6, generator: gen),
            new BatchNorm1d(6),
            new Tanh(),
            new Residual(new Linear(6, 6, generator: gen)),
            new LayerNorm(6),
            new Linear(6, 2, generator: gen),
            new Sigmoid());
        net.To(DType.Float64);
        var parameters = net.Parameters().ToArray();
        Assert.Equal(10, parameters.Length);
        Assert.All(parameters, p => Assert.Equal(DType.Float64, p.DType));
        Assert.All(net.NamedBuffers(), b => Assert.Equal(DType.Float64, b.Buffer.DType));
        var x = Randn64(61, [5, 3]);
        AssertGradCheck(a => net.Forward(x), [x, .. parameters]);
    }

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void ActivationGradCheck(string name)
    {
        var activation = MakeActivation(name);
        var x = AwayFromZero(70, [3, 4]);
        AssertGradCheck(a => activation.Forward(a[0]), x);
    }

    [Theory]
    [MemberData(nameof(OutputActivationNames))]
    public void OutputActivationGradCheck(string name)
    {
        var activation = MakeOutputActivation(name);
        var x = AwayFromZero(71, [4, 3]);
        AssertGradCheck(a => activation.Forward(a[0]), x);
    }

    [Fact]
    public void DropoutTrainingGradCheck()
    {
        // A fresh generator with the same seed in every call, so every call draws the same mask.
        var x = Randn64(80, [6, 5]);
        AssertGradCheck(a => new Dropout(0.4, new Generator(81)).Forward(a[0]), x);
        var y = Values(new Dropout(0.4, new Generator(81)).Forward(x));
        Assert.Contains(y, v => v == 0);
        Assert.Contains(y, v => v != 0);
    }

    [Fact]
    public void DropoutEvalGradCheck()
    {
        var dropout = new Dropout(0.4, new Generator(82));
        dropout.Eval();
        var x = Randn64(83, [6, 5]);
        Assert.Equal(Values(x), Values(dropout.Forward(x)));
        AssertGradCheck(a => dropout.Forward(a[0]), x);
    }

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

    // ---- Dropout ------------------------------------------------------------------------------------------------

    [Fact]
    public void DropoutScalesSurvivorsAndPreservesTheMean()
    {
        const double p = 0.3;
        var x = Tensor.Ones([200, 500], DType.Float64);
        var y = Values(new Dropout(p, new Generator(110)).Forward(x));
        double scale = 1 / (1 - p);
        Assert.All(y, v => Assert.True(v == 0 || v == scale, $"element {v} is neither 0 nor 1/(1-p)"));
        double dropped = y.Count(v => v == 0) / (double)y.Length;
        Assert.InRange(dropped, p - 0.01, p + 0.01);
        Assert.InRange(y.Average(), 0.98, 1.02);
    }

    [Fact]
    public void DropoutGradientIsTheMask()
    {
        var x = Randn64(111, [4, 6]);
        var y = new Dropout(0.5, new Generator(112)).Forward(x);
        var grad = Values(Autograd.Grad(y.Sum(), x)!);
        var xv = Values(x);
        var yv = Values(y);
        for (int i = 0; i < grad.Length; i++)
            Assert.Equal(yv[i] == 0 ? 0 : 2, grad[i]);
        Assert.True(yv.Zip(xv).All(pair => pair.First == 0 || pair.First == 2 * pair.Second));
    }

    [Fact]
    public void DropoutWithPZeroIsIdentity()
    {
        var x = Randn64(113, [5, 7]);
        var dropout = new Dropout(0, new Generator(114));
        Assert.True(dropout.IsTraining);
        Assert.Equal(Values(x), Values(dropout.Forward(x)));
    }

    [Fact]
    public void DropoutInEvalIsIdentity()
    {
        var x = Randn64(115, [5, 7]);
        var dropout = new Dropout(0.9, new Generator(116));
        dropout.Eval();
        Assert.Equal(Values(x), Values(dropout.Forward(x)));
        dropout.Train();
        Assert.NotEqual(Values(x), Values(dropout.Forward(x)));
    }

    [Fact]
    public void DropoutSameSeedSameMask()
    {
        var x = Tensor.Ones([10, 10]);
        var a = new Dropout(0.5, new Generator(117)).Forward(x).ToArray();
        var b = new Dropout(0.5, new Generator(117)).Forward(x).ToArray();
        var c = new Dropout(0.5, new Generator(118)).Forward(x).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // One layer draws a new mask on each call.
        var dropout = new Dropout(0.5, new Generator(117));
        Assert.Equal(a, dropout.Forward(x).ToArray());
        Assert.NotEqual(a, dropout.Forward(x).ToArray());
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void DropoutRejectsInvalidP(double p)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(p));
        Assert.Equal("p", ex.ParamName);
    }

    // ---- output activations -------------------------------------------------------------------------------------

    private static readonly double[] ExtremeInputs = [-1e3, -100, -30, -1, 0, 1, 30, 100, 1e3];

    [Theory]
    [InlineData("relu", 0, double.PositiveInfinity)]
    [InlineData("softplus", 0, double.PositiveInfinity)]
    [InlineData("negative", double.NegativeInfinity, 0)]
    [InlineData("range:0,10", 0, 10)]
    [InlineData("range:-2,3", -2, 3)]
    [InlineData("Bounded(-2,3)", -2, 3)]
    [InlineData("NegativeSoftplus", double.NegativeInfinity, 0)]
    [InlineData("none", double.NegativeInfinity, double.PositiveInfinity)]
    public void OutputActivationsRespectTheirRange(string name, double low, double high)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var x = Tensor.FromArray(ExtremeInputs).To(dtype);
            var y = MakeOutputActivation(name).Forward(x);
            Assert.Equal(dtype, y.DType);
            Assert.True(y.AllFinite(), $"{name} ({dtype.Name()}): {y}");
            foreach (var v in Values(y))
                Assert.True(v >= low && v <= high, string.Create(CultureInfo.InvariantCulture, $"{name} ({dtype.Name()}): {v} is outside [{low}, {high}]."));
        }
    }

    [Fact]
    public void OutputActivationValues()
    {
        var x = Tensor.FromArray(new[] { -1e3, -2, 0, 2, 1e3 });
        Assert.Equal(new[] { 0.0, 0, 0, 2, 1e3 }, Values(OutputActivations.Parse("relu").Forward(x)));
        Assert.Equal(Values(x), Values(OutputActivations.Parse("none").Forward(x)));
        var softplus = Values(OutputActivations.Parse("softplus").Forward(x));
        var negative = Values(OutputActivations.Parse("negative").Forward(x));
        var xv = Values(x);
        for (int i = 0; i < xv.Length; i++)
        {
            double expected = Math.Max(xv[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(xv[i])));
            Assert.Equal(expected, softplus[i], 12);
            double expectedNegative = -(Math.Max(-xv[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(xv[i]))));
            Assert.Equal(expectedNegative, negative[i], 12);
        }
        var bounded = OutputActivations.Parse("range:0,10");
        var b = Assert.IsType<Bounded>(bounded);
        Assert.Equal(0, b.Low);
        Assert.Equal(10, b.High);
        Assert.Equal(new[] { 0, 10 / (1 + Math.Exp(2)), 5, 10 / (1 + Math.Exp(-2)), 10 }, Values(bounded.Forward(x)), new ToleranceComparer(1e-12));
        Assert.IsType<ReLU>(OutputActivations.Parse(" ReLU "));
        Assert.IsType<Identity>(OutputActivations.Parse("identity"));
        Assert.IsType<NegativeSoftplus>(OutputActivations.Parse("negative"));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }

    [Theory]
    [InlineData("sigmoidal")]
    [InlineData("range:1")]
    [InlineData("range:x,2")]
    [InlineData("range:1,2,3")]
    [InlineData("range:5,1")]
    [InlineData("range:3,3")]
    [InlineData("range:0,infinity")]
    public void OutputActivationParseErrorsNameTheText(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => OutputActivations.Parse(text));
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BoundedRejectsAnEmptyOrInfiniteRange()
    {
        Assert.Throws<ArgumentException>(() => new Bounded(3, -2));
        Assert.Throws<ArgumentException>(() => new Bounded(1, 1));
        Assert.Throws<ArgumentException>(() => new Bounded(0, double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => new Bounded(double.NaN, 1));
    }

    // ---- initializers -------------------------------------------------------------------------------------------

    private static (double MaxAbs, double Std, double Mean) Stats(Tensor t)
    {
        var v = Values(t);
        double mean = v.Average();
        double std = Math.Sqrt(v.Sum(e => (e - mean) * (e - mean)) / v.Length);
        return (v.Max(Math.Abs), std, mean);
    }

    [Fact]
    public void XavierFollowsItsFormulas()
    {
        // A (400, 100) weight: fan-in 400, fan-out 100.
        var w = Tensor.Zeros([400, 100], DType.Float64);
        Assert.Equal((400, 100), Init.Fans(w));
        Assert.Same(w, Init.XavierUniform(w, generator: new Generator(120)));
        double bound = Math.Sqrt(6.0 / 500);
        var (maxAbs, std, mean) = Stats(w);
        Assert.InRange(maxAbs, 0.99 * bound, bound);
        Assert.InRange(std, 0.97 * bound / Math.Sqrt(3), 1.03 * bound / Math.Sqrt(3));
        Assert.InRange(mean, -0.01 * bound, 0.01 * bound);

        Init.XavierUniform(w, gain: 2, generator: new Generator(120));
        Assert.InRange(Stats(w).MaxAbs, 0.99 * 2 * bound, 2 * bound);

        Init.XavierNormal(w, generator: new Generator(121));
        double expectedStd = Math.Sqrt(2.0 / 500);
        Assert.InRange(Stats(w).Std, 0.97 * expectedStd, 1.03 * expectedStd);
    }

    [Fact]
    public void KaimingUsesFanInFromDimensionZero()
    {
        // (in, out) = (400, 100): fan-in is 400 (with fan-out 100 the bound would be twice as large).
        var w = Tensor.Zeros([400, 100]);
        Init.KaimingUniform(w, generator: new Generator(122));
        double bound = Math.Sqrt(2.0) * Math.Sqrt(3.0 / 400);
        var (maxAbs, std, _) = Stats(w);
        Assert.InRange(maxAbs, 0.99 * bound, bound * (1 + 1e-6));
        Assert.InRange(std, 0.97 * bound / Math.Sqrt(3), 1.03 * bound / Math.Sqrt(3));

        Init.KaimingUniform(w, fanOut: true, generator: new Generator(122));
        double boundOut = Math.Sqrt(2.0) * Math.Sqrt(3.0 / 100);
        Assert.InRange(Stats(w).MaxAbs, 0.99 * boundOut, boundOut * (1 + 1e-6));

        Init.KaimingNormal(w, generator: new Generator(123));
        Assert.InRange(Stats(w).Std, 0.97 * Math.Sqrt(2.0 / 400), 1.03 * Math.Sqrt(2.0 / 400));

        // Leaky ReLU gain sqrt(2 / (1 + a²)) with a = 1: std = sqrt(1 / 400).
        Init.KaimingNormal(w, a: 1, generator: new Generator(124));
        Assert.InRange(Stats(w).Std, 0.97 * 0.05, 1.03 * 0.05);
    }

    [Fact]
    public void InitializersAreReproducibleFromTheGeneratorSeed()
    {
        foreach (var name in new[] { "xavier", "xavier-normal", "kaiming", "kaiming-normal", "normal", "uniform" })
        {
            var init = Init.ByName(name);
            var a = init(Tensor.Zeros([7, 5]), new Generator(130)).ToArray();
            var b = init(Tensor.Zeros([7, 5]), new Generator(130)).ToArray();
            var c = init(Tensor.Zeros([7, 5]), new Generator(131)).ToArray();
            Assert.Equal(a, b);
            Assert.NotEqual(a, c);
        }
        Assert.All(Init.ByName("zeros")(Tensor.Ones([3, 2]), new Generator(1)).ToArray(), v => Assert.Equal(0f, v));
        var ex = Assert.Throws<ArgumentException>(() => Init.ByName("orthogonal"));
        Assert.Contains("orthogonal", ex.Message, StringComparison.Ordinal);
        Assert.Throws<TensorShapeException>(() => Init.XavierUniform(Tensor.Zeros([5])));
    }

    [Fact]
    public void LinearDefaultInitIsSeededAndBounded()
    {
        var a = new Linear(16, 8, generator: new Generator(140));
        var b = new Linear(16, 8, generator: new Generator(140));
        Assert.Equal(a.W.ToArray(), b.W.ToArray());
        Assert.Equal(a.B!.ToArray(), b.B!.ToArray());
        AssertShape(a.W, 16, 8);
        AssertShape(a.B, 1, 8);
        Assert.All(a.W.ToArray().Concat(a.B.ToArray()), v => Assert.InRange(v, -0.25f, 0.25f));
    }

    [Fact]
    public void LinearUsesUserInitFunctions()
    {
        var calls = new List<string>();
        var layer = new Linear(3, 2, dtype: DType.Float64,
            weightInit: (i, o) => { calls.Add($"weight({i},{o})"); return Tensor.Arange(0, i * o, 1, DType.Float64).Reshape(i, o); },
            biasInit: o => { calls.Add($"bias({o})"); return Tensor.Full([o], 0.5, DType.Float64); });
        Assert.Equal(["weight(3,2)", "bias(2)"], calls);
        AssertShape(layer.W, 3, 2);
        Assert.NotNull(layer.B);
        AssertShape(layer.B, 1, 2);
        Assert.Equal(new[] { 0.0, 1, 2, 3, 4, 5 }, Values(layer.W));
        Assert.Equal(new[] { 0.5, 0.5 }, Values(layer.B));
        Assert.True(layer.W.RequiresGrad && layer.B.RequiresGrad);
        // z = x W + b with those values.
        var z = layer.Forward(Tensor.FromArray(new[] { 1.0, 1, 1 }, [1, 3]));
        Assert.Equal(new[] { 6.5, 9.5 }, Values(z));
    }

    [Fact]
    public void LinearInitWithTheWrongShapeNamesBothShapes()
    {
        // The transposed (PyTorch, (out, in)) layout has the right number of elements but the wrong shape.
        var ex = Assert.Throws<TensorShapeException>(() => new Linear(3, 2, weightInit: (i, o) => Tensor.Zeros([o, i])));
        Assert.Contains("(2, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("weightInit", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<TensorShapeException>(() => new Linear(3, 2, weightInit: (i, o) => Tensor.Zeros([i, o + 1])));
        Assert.Contains("(3, 3)", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<TensorShapeException>(() => new Linear(3, 2, biasInit: o => Tensor.Zeros([o + 1])));
        Assert.Contains("(3,)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(1, 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("biasInit", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<TensorShapeException>(() => new Linear(3, 2, biasInit: o => Tensor.Zeros([o, 1])));
        Assert.Contains("(2, 1)", ex.Message, StringComparison.Ordinal);
    }

    // ---- bad arguments and inputs -------------------------------------------------------------------------------

    [Fact]
    public void LinearRejectsTheWrongFeatureCount()
    {
        var layer = new Linear(3, 2);
        var ex = Assert.Throws<TensorShapeException>(() => layer.Forward(Tensor.Zeros([4, 5])));
        Assert.Contains("Linear(3 -> 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<TensorShapeException>(() => layer.Forward(Tensor.Scalar(1)));
        Assert.Contains("Linear(3 -> 2)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchNormRejectsInputsThatAreNot2D()
    {
        var bn = new BatchNorm1d(3);
        foreach (var shape in new[] { new[] { 3 }, new[] { 2, 3, 4 }, new[] { 4, 5 } })
        {
            var ex = Assert.Throws<TensorShapeException>(() => bn.Forward(Tensor.Zeros(shape)));
            Assert.Contains("BatchNorm1d(3)", ex.Message, StringComparison.Ordinal);
            Assert.Contains(Shapes.Format(shape), ex.Message, StringComparison.Ordinal);
        }
        bn.Eval();
        Assert.Throws<TensorShapeException>(() => bn.Forward(Tensor.Zeros([2, 3, 4])));
    }

    [Fact]
    public void LayerNormAndResidualRejectBadShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => new LayerNorm(4).Forward(Tensor.Zeros([2, 5])));
        Assert.Contains("(2, 5)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<TensorShapeException>(() => new Residual(new Linear(4, 3)).Forward(Tensor.Zeros([2, 4])));
        Assert.Contains("(2, 4)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 3, "inFeatures")]
    [InlineData(-1, 3, "inFeatures")]
    [InlineData(3, 0, "outFeatures")]
    public void LinearRejectsNonPositiveSizes(int inFeatures, int outFeatures, string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(inFeatures, outFeatures));
        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains(parameter, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NormalizationLayersRejectInvalidArguments()
    {
        Assert.Equal("numFeatures", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(0)).ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(3, eps: 0)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(3, alpha: 1.5)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(3, alpha: double.NaN)).ParamName);
        Assert.Equal("normalizedShape", Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNorm(0)).ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNorm(3, eps: -1)).ParamName);
    }
}

using System.Globalization;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.NN;

/// <summary>Dropout, the output activations, the initializers, and the errors for bad arguments and inputs.</summary>
public class LayerBehaviourTests : LayerTestBase
{
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

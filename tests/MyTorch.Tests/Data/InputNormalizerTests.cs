using MyTorch.Data;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Data;

public class InputNormalizerTests
{
    private static Tensor Features() =>
        Tensor.FromArray(new double[,] { { 0, 100, 5 }, { 2, 300, 5 }, { 4, 200, 5 }, { 6, 400, 5 } });

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void ScaleDividesPixelsBy255WithoutFitting()
    {
        var normalizer = InputNormalizer.Scale(255);
        Assert.True(normalizer.IsFitted);
        var pixels = Tensor.FromArray(new long[] { 0, 51, 255 }, [1, 3]);
        var scaled = normalizer.Transform(pixels);
        Assert.Equal(DType.Float32, scaled.DType);
        Assert.Equal([0f, 0.2f, 1f], scaled.ToArray());
        Assert.Equal([0f, 51f, 255f], normalizer.InverseTransform(scaled).ToArray());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ScaleRejectsBadDivisors(double divisor) =>
        Assert.Equal("divisor", Assert.Throws<ArgumentOutOfRangeException>(() => InputNormalizer.Scale(divisor)).ParamName);

    [Fact]
    public void StandardizeOverAllInputsUsesOneMeanAndStd()
    {
        var x = Features();
        var normalizer = InputNormalizer.Standardize().Fit(x);
        Assert.Equal(0, normalizer.Mean!.Rank);
        var z = normalizer.Transform(x);
        Assert.Equal(0, z.Mean().Item(), 12);
        Assert.Equal(1, z.Var(unbiased: false).Item(), 12);
    }

    [Fact]
    public void StandardizePerFeatureCentresEachFeatureAndKeepsConstantOnesFinite()
    {
        var x = Features();
        var normalizer = InputNormalizer.Standardize(perFeature: true).Fit(x);
        Assert.Equal([3], normalizer.Mean!.Shape.ToArray());
        Assert.Equal(1.0, normalizer.Std!.At(2));
        var z = normalizer.Transform(x);
        AssertClose(Tensor.Zeros([3]).To(DType.Float64), z.Mean(0), 1e-12);
        AssertClose(Tensor.FromArray(new double[] { 1, 1, 0 }), z.Var(0, unbiased: false), 1e-12);
    }

    [Fact]
    public void PerFeatureStatisticsKeepImageShape()
    {
        var images = Tensor.Rand([6, 2, 3], new Generator(0));
        var normalizer = InputNormalizer.Standardize(perFeature: true).Fit(images);
        Assert.Equal([2, 3], normalizer.Mean!.Shape.ToArray());
        Assert.Equal(DType.Float32, normalizer.Transform(images).DType);
        Assert.Throws<TensorShapeException>(() => normalizer.Transform(Tensor.Zeros([6, 3, 2])));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InverseUndoesTransform(bool perFeature)
    {
        var x = Features();
        var normalizer = InputNormalizer.Standardize(perFeature).Fit(x);
        AssertClose(x, normalizer.InverseTransform(normalizer.Transform(x)), 1e-12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StandardizeStateDictRoundTrip(bool perFeature)
    {
        var x = Features();
        var normalizer = InputNormalizer.Standardize(perFeature).Fit(x);
        var state = normalizer.ToStateDict();
        Assert.Equal("standardize", state.Metadata["normalizer"]);
        var loaded = InputNormalizer.FromStateDict(state);
        Assert.Equal(perFeature, loaded.PerFeature);
        Assert.Null(loaded.Divisor);
        AssertClose(normalizer.Transform(x), loaded.Transform(x), 0);
    }

    [Fact]
    public void ScaleStateDictRoundTrip()
    {
        var state = InputNormalizer.Scale(255).ToStateDict();
        Assert.Equal("scale", state.Metadata["normalizer"]);
        Assert.Empty(state.Keys);
        var loaded = InputNormalizer.FromStateDict(state);
        Assert.Equal("scale", loaded.Name);
        Assert.Equal(255, loaded.Divisor);
    }

    [Fact]
    public void UnfittedStandardizeThrows()
    {
        var normalizer = InputNormalizer.Standardize();
        Assert.False(normalizer.IsFitted);
        Assert.Throws<InvalidOperationException>(() => normalizer.Transform(Features()));
        Assert.Throws<InvalidOperationException>(() => normalizer.InverseTransform(Features()));
        Assert.Throws<InvalidOperationException>(() => normalizer.ToStateDict());
    }

    [Fact]
    public void FromStateDictRejectsBadStates()
    {
        Assert.Throws<ArgumentException>(() => InputNormalizer.FromStateDict(new StateDict()));
        var badDivisor = new StateDict();
        badDivisor.Metadata["normalizer"] = "scale";
        badDivisor.Metadata["divisor"] = "0";
        Assert.Throws<ArgumentException>(() => InputNormalizer.FromStateDict(badDivisor));
        var unknown = new StateDict();
        unknown.Metadata["normalizer"] = "whiten";
        Assert.Contains("'whiten'", Assert.Throws<ArgumentException>(() => InputNormalizer.FromStateDict(unknown)).Message, StringComparison.Ordinal);
    }
}

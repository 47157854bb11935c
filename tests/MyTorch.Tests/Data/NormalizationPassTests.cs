using MyTorch.Data;
using Xunit;

namespace MyTorch.Tests.Data;

/// <summary>
/// The one-pass statistics and normalization against the op-by-op computation they replace: per-feature results to the
/// last bit, overall ones to rounding, the same exceptions, and in place exactly what a copy gets.
/// </summary>
public class NormalizationPassTests
{
    private static Tensor Data(DType dtype, int rows, int features, int seed) =>
        Tensor.Normal([rows, features], 20, 50, new Generator((ulong)seed), dtype);

    /// <summary>What ColumnStatistics.Compute computed before it streamed: a float64 copy, then reductions.</summary>
    private static (double[] Mean, double[] Std, double[] Min, double[] Max) WithOps(Tensor data, bool perColumn)
    {
        var x = data.To(DType.Float64);
        if (!perColumn) x = x.Flatten();
        var min = x.Min(0).ToArray<double>();
        var max = x.Max(0).ToArray<double>();
        var mean = x.Mean(0).ToArray<double>();
        for (int i = 0; i < mean.Length; i++) if (min[i] == max[i]) mean[i] = min[i];
        return (mean, x.Var(0, keepDim: false, unbiased: false).Sqrt().ToArray<double>(), min, max);
    }

    [Theory]
    [InlineData(DType.Float32, 1, 3)]
    [InlineData(DType.Float32, 37, 5)]
    [InlineData(DType.Float32, 100, 784)]
    [InlineData(DType.Float64, 9, 2)]
    [InlineData(DType.Float64, 64, 13)]
    public void PerColumnStatistics_AreTheReductionsBits(DType dtype, int rows, int features)
    {
        var data = Data(dtype, rows, features, rows + features);
        var statistics = ColumnStatistics.Compute(data, perColumn: true);
        var expected = WithOps(data, perColumn: true);
        Assert.Equal(expected.Mean, statistics.Mean.ToArray<double>());
        Assert.Equal(expected.Std, statistics.Std.ToArray<double>());
        Assert.Equal(expected.Min, statistics.Min.ToArray<double>());
        Assert.Equal(expected.Max, statistics.Max.ToArray<double>());
        Assert.Equal([features], statistics.Mean.Shape.ToArray());
    }

    [Theory]
    [InlineData(DType.Float32, 1, 1)]
    [InlineData(DType.Float32, 3, 5)]
    [InlineData(DType.Float32, 1000, 33)]
    [InlineData(DType.Float64, 1, 7)]
    [InlineData(DType.Float64, 301, 3)]
    public void OverallStatistics_AgreeWithTheReductions(DType dtype, int rows, int features)
    {
        var data = Data(dtype, rows, features, 3 * rows + features);
        var statistics = ColumnStatistics.Compute(data, perColumn: false);
        var expected = WithOps(data, perColumn: false);
        Assert.Equal(0, statistics.Mean.Rank);
        Assert.Equal(expected.Mean[0], statistics.Mean.Item(), 1e-12 * Math.Abs(expected.Mean[0]) + 1e-12);
        Assert.Equal(expected.Std[0], statistics.Std.Item(), 1e-12 * expected.Std[0] + 1e-12);
        Assert.Equal(expected.Min[0], statistics.Min.Item());
        Assert.Equal(expected.Max[0], statistics.Max.Item());
    }

    [Fact]
    public void ConstantData_CentresExactlyAndGetsStdOne()
    {
        var data = Tensor.Full([17, 3], 0.1, DType.Float64);
        var normalizer = InputNormalizer.Standardize().Fit(data);
        Assert.Equal(0.1, normalizer.Mean!.Item());
        Assert.Equal(1.0, normalizer.Std!.Item());
        Assert.All(normalizer.Transform(data).ToArray<double>(), v => Assert.Equal(0.0, v));
    }

    [Theory]
    [InlineData(DType.Float32, false, float.NaN)]
    [InlineData(DType.Float32, true, float.PositiveInfinity)]
    [InlineData(DType.Float64, false, double.NegativeInfinity)]
    [InlineData(DType.Float64, true, double.NaN)]
    public void Fit_RejectsNonFiniteData_WithTheValidationMessage(DType dtype, bool perFeature, double bad)
    {
        foreach (int at in new[] { 0, 5, 149 })
        {
            var values = Data(dtype, 50, 3, at).ToArray<double>();
            values[at] = bad;
            var data = Tensor.FromArray(values, [50, 3]).To(dtype);
            var error = Assert.Throws<ArgumentException>(() => InputNormalizer.Standardize(perFeature).Fit(data));
            Assert.Equal("inputs", error.ParamName);
            Assert.Contains("InputNormalizer.Fit: the data of shape (50, 3) holds NaN or infinity", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Fit_AcceptsFiniteData_WhoseFloat64SumOverflows()
    {
        var data = Tensor.Full([4, 2], double.MaxValue, DType.Float64);
        var normalizer = InputNormalizer.Standardize().Fit(data);
        Assert.True(normalizer.IsFitted);
    }

    [Fact]
    public void Fit_RejectsEmptyData_AsBefore()
    {
        Assert.Throws<TensorShapeException>(() => InputNormalizer.Standardize().Fit(Tensor.Zeros([0, 3])));
        Assert.Throws<TensorShapeException>(() => InputNormalizer.Standardize().Fit(Tensor.Scalar(1)));
        // Rows of no features: overall statistics have nothing to take a minimum of, per-feature ones are empty.
        Assert.Throws<TensorShapeException>(() => InputNormalizer.Standardize().Fit(Tensor.Zeros([3, 0])));
        Assert.Equal([0], InputNormalizer.Standardize(perFeature: true).Fit(Tensor.Zeros([3, 0])).Mean!.Shape.ToArray());
    }

    [Theory]
    [InlineData(DType.Float32, false)]
    [InlineData(DType.Float32, true)]
    [InlineData(DType.Float64, false)]
    [InlineData(DType.Float64, true)]
    public void Transform_GivesTheOpsBits_AndInPlaceTheSame(DType dtype, bool perFeature)
    {
        var data = Data(dtype, 41, 7, 11);
        var normalizer = InputNormalizer.Standardize(perFeature).Fit(data);
        var expected = ((data - normalizer.Mean!.To(dtype)) / normalizer.Std!.To(dtype)).ToArray<double>();

        var copy = normalizer.Transform(data);
        Assert.NotSame(data, copy);
        Assert.Equal(expected, copy.ToArray<double>());
        Assert.Equal(dtype, copy.DType);
        Assert.False(copy.RequiresGrad);

        var inPlace = data.Clone();
        Assert.Same(inPlace, normalizer.TransformInPlace(inPlace));
        Assert.Equal(expected, inPlace.ToArray<double>());

        // One example of the per-feature shape.
        var row = data.Narrow(0, 3, 1).Reshape(7);
        Assert.Equal(expected.Skip(21).Take(7), normalizer.Transform(row).ToArray<double>());
    }

    [Fact]
    public void Scale_GivesTheDivisionOpsBits_AndInPlaceTheSame()
    {
        var pixels = Tensor.Uniform([33, 9], 0, 255, new Generator(2));
        var normalizer = InputNormalizer.Scale(255);
        var expected = (pixels / 255.0).ToArray();
        Assert.Equal(expected, normalizer.Transform(pixels).ToArray());
        var inPlace = pixels.Clone();
        normalizer.TransformInPlace(inPlace);
        Assert.Equal(expected, inPlace.ToArray());
    }

    [Fact]
    public void Transform_OfIntegers_IsAFloat32Copy()
    {
        var labels = Tensor.FromArray(new long[] { 0, 51, 255 }, [3, 1]);
        var scaled = InputNormalizer.Scale(255).Transform(labels);
        Assert.Equal(DType.Float32, scaled.DType);
        Assert.Equal([0f, 0.2f, 1f], scaled.ToArray());
        Assert.Equal(new long[] { 0, 51, 255 }, labels.ToArray<long>());
    }

    [Fact]
    public void Transform_OfInputsThatRequireGrad_IsRecorded()
    {
        var x = Tensor.Uniform([4, 3], -1, 1, new Generator(8), DType.Float64, requiresGrad: true);
        var normalizer = InputNormalizer.Standardize(perFeature: true).Fit(x.Detach());
        var z = normalizer.Transform(x);
        Assert.NotNull(z.GradFn);
        z.Sum().Backward();
        Assert.Equal((1.0 / normalizer.Std!).BroadcastTo([4, 3]).ToArray<double>(), x.Grad!.ToArray<double>());
    }

    [Fact]
    public void TransformInPlace_RejectsIntegersAndInputsThatRequireGrad()
    {
        var normalizer = InputNormalizer.Scale(2);
        var integers = Assert.Throws<ArgumentException>(() => normalizer.TransformInPlace(Tensor.FromArray(new long[] { 1, 2 })));
        Assert.Contains("int64", integers.Message, StringComparison.Ordinal);
        var tracked = Tensor.Ones([2], requiresGrad: true);
        Assert.Throws<ArgumentException>(() => normalizer.TransformInPlace(tracked));
        Assert.Equal([1f, 1f], tracked.ToArray());
    }

    [Fact]
    public void TransformInPlace_ChecksFittingAndShapeLikeTransform()
    {
        Assert.Throws<InvalidOperationException>(() => InputNormalizer.Standardize().TransformInPlace(Tensor.Ones([2, 2])));
        var normalizer = InputNormalizer.Standardize(perFeature: true).Fit(Tensor.Rand([5, 3], new Generator(1)));
        Assert.Throws<TensorShapeException>(() => normalizer.TransformInPlace(Tensor.Ones([2, 4])));
    }
}

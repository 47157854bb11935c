using MyTorch.Data;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Data;

public class TargetScalerTests
{
    // Seed 001 question 4: a monthly income in 0..10,000 next to an age in 0..100.
    private static Tensor IncomeAndAge(int count = 200, ulong seed = 4)
    {
        var generator = new Generator(seed);
        var values = new double[count * 2];
        for (int i = 0; i < count; i++)
        {
            values[2 * i] = 10_000 * generator.NextDouble();
            values[2 * i + 1] = 100 * generator.NextDouble();
        }
        return Tensor.FromArray(values, [count, 2]);
    }

    private static double[] ColumnRanges(Tensor values)
    {
        var max = values.Max(0).ToArray<double>();
        var min = values.Min(0).ToArray<double>();
        return [max[0] - min[0], max[1] - min[1]];
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void Seed001IncomeNoLongerDominatesAgeAfterScaling()
    {
        var targets = IncomeAndAge();
        var raw = ColumnRanges(targets);
        Assert.True(raw[0] / raw[1] > 50);
        foreach (var name in new[] { "standard", "minmax" })
        {
            var scaled = TargetScaler.Create(name).Fit(targets).Transform(targets);
            var ranges = ColumnRanges(scaled);
            Assert.InRange(ranges[0] / ranges[1], 0.8, 1.25);
        }
    }

    [Fact]
    public void StandardScalerGivesEachColumnMeanZeroAndPopulationStdOne()
    {
        var targets = Tensor.FromArray(new double[,] { { 1, 10 }, { 2, 20 }, { 3, 30 }, { 4, 40 } });
        var scaler = new StandardScaler();
        var scaled = scaler.Fit(targets).Transform(targets);
        AssertClose(Tensor.FromArray(new double[] { 2.5, 25 }), scaler.Mean!, 1e-12);
        AssertClose(Tensor.FromArray(new double[] { Math.Sqrt(1.25), 10 * Math.Sqrt(1.25) }), scaler.Std!, 1e-12);
        AssertClose(Tensor.Zeros([2]).To(DType.Float64), scaled.Mean(0), 1e-12);
        AssertClose(Tensor.Ones([2]).To(DType.Float64), scaled.Var(0, unbiased: false), 1e-12);
    }

    [Fact]
    public void MinMaxScalerMapsTheTrainingRangeToZeroOne()
    {
        var targets = IncomeAndAge();
        var scaled = new MinMaxScaler().Fit(targets).Transform(targets);
        AssertClose(Tensor.Zeros([2]).To(DType.Float64), scaled.Min(0), 1e-12);
        AssertClose(Tensor.Ones([2]).To(DType.Float64), scaled.Max(0), 1e-12);
    }

    [Fact]
    public void Seed000AnswerDividesByTheKnownBounds()
    {
        var scaler = MinMaxScaler.FromBounds([0, 0], [10_000, 100]);
        Assert.True(scaler.IsFitted);
        var scaled = scaler.Transform(Tensor.FromArray(new double[,] { { 5_000, 50 }, { 10_000, 25 } }));
        AssertClose(Tensor.FromArray(new double[,] { { 0.5, 0.5 }, { 1, 0.25 } }), scaled, 1e-15);
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("minmax")]
    [InlineData("none")]
    public void InverseUndoesTransform(string name)
    {
        var targets = IncomeAndAge();
        var scaler = TargetScaler.Create(name).Fit(targets);
        AssertClose(targets, scaler.InverseTransform(scaler.Transform(targets)), 1e-6);

        // float32 keeps about 7 digits of each column's scale: 1e-3 of an income, 1e-5 of an age.
        var single = targets.To(DType.Float32);
        var roundTrip = scaler.InverseTransform(scaler.Transform(single));
        Assert.Equal(DType.Float32, roundTrip.DType);
        var expected = single.ToArray<double>();
        var actual = roundTrip.ToArray<double>();
        double[] columnScale = [10_000, 100];
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 5e-7 * columnScale[i % 2],
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("minmax")]
    public void OneRowBroadcastsPerColumn(string name)
    {
        var targets = IncomeAndAge(20);
        var scaler = TargetScaler.Create(name).Fit(targets);
        var all = scaler.Transform(targets);
        var row = scaler.Transform(targets.Rows([3]).Reshape(2));
        Assert.Equal([2], row.Shape.ToArray());
        AssertClose(all.Rows([3]).Reshape(2), row, 1e-12);
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("minmax")]
    public void ConstantColumnsStayFinite(string name)
    {
        var targets = Tensor.FromArray(new double[,] { { 0.1, 1 }, { 0.1, 2 }, { 0.1, 4 } });
        var scaler = TargetScaler.Create(name).Fit(targets);
        var scaled = scaler.Transform(targets);
        Assert.True(scaled.AllFinite());
        Assert.Equal([0.0, 0, 0], scaled.Narrow(1, 0, 1).ToArray<double>());
        AssertClose(targets, scaler.InverseTransform(scaled), 1e-12);
    }

    [Fact]
    public void ConstantColumnGetsUnitScale()
    {
        var targets = Tensor.FromArray(new double[,] { { 7, 1 }, { 7, 3 } });
        var standard = new StandardScaler();
        standard.Fit(targets);
        var minMax = new MinMaxScaler();
        minMax.Fit(targets);
        Assert.Equal(1.0, standard.Std!.At(0));
        Assert.Equal(1.0, minMax.Range!.At(0));
        Assert.Equal(2.0, minMax.Range!.At(1));
    }

    [Fact]
    public void OneDimensionalTargetsAreOneColumn()
    {
        var targets = Tensor.FromArray(new double[] { 2, 4, 6 });
        var scaler = new MinMaxScaler().Fit(targets);
        Assert.Equal([0.0, 0.5, 1], scaler.Transform(targets).ToArray<double>());
        Assert.Equal([3, 1], scaler.Transform(targets.Reshape(3, 1)).Shape.ToArray());
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("minmax")]
    [InlineData("none")]
    public void StateDictRoundTrip(string name)
    {
        var targets = IncomeAndAge(50);
        var scaler = TargetScaler.Create(name).Fit(targets);
        var state = scaler.ToStateDict();
        Assert.Equal(name, state.Metadata["scaler"]);
        var loaded = TargetScaler.FromStateDict(state);
        Assert.Equal(scaler.GetType(), loaded.GetType());
        Assert.Equal(name, loaded.Name);
        AssertClose(scaler.Transform(targets), loaded.Transform(targets), 0);
        AssertClose(scaler.InverseTransform(targets), loaded.InverseTransform(targets), 0);
    }

    [Fact]
    public void StateDictHoldsTheDocumentedTensors()
    {
        var targets = IncomeAndAge(10);
        Assert.Equal(["mean", "std"], new StandardScaler().Fit(targets).ToStateDict().Keys);
        Assert.Equal(["min", "max"], new MinMaxScaler().Fit(targets).ToStateDict().Keys);
        Assert.Empty(new IdentityScaler().ToStateDict().Keys);
    }

    [Fact]
    public void SavedStateDoesNotChangeWithLaterFits()
    {
        var scaler = new StandardScaler().Fit(IncomeAndAge(10, seed: 1));
        var state = scaler.ToStateDict();
        var mean = state["mean"].ToArray<double>();
        scaler.Fit(IncomeAndAge(10, seed: 2));
        Assert.Equal(mean, state["mean"].ToArray<double>());
    }

    [Fact]
    public void CreateParsesNamesIgnoringCase()
    {
        Assert.IsType<StandardScaler>(TargetScaler.Create("Standard"));
        Assert.IsType<MinMaxScaler>(TargetScaler.Create("minmax"));
        Assert.IsType<IdentityScaler>(TargetScaler.Create("NONE"));
    }

    [Fact]
    public void CreateNamesTheBadValueAndTheChoices()
    {
        var error = Assert.Throws<ArgumentException>(() => TargetScaler.Create("zscore"));
        Assert.Equal("name", error.ParamName);
        Assert.Contains("'zscore'", error.Message, StringComparison.Ordinal);
        Assert.Contains("standard, minmax, none", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("minmax")]
    public void UsingAnUnfittedScalerThrows(string name)
    {
        var scaler = TargetScaler.Create(name);
        Assert.False(scaler.IsFitted);
        Assert.Throws<InvalidOperationException>(() => scaler.Transform(Tensor.Zeros([2, 2])));
        Assert.Throws<InvalidOperationException>(() => scaler.InverseTransform(Tensor.Zeros([2, 2])));
        Assert.Throws<InvalidOperationException>(() => scaler.ToStateDict());
    }

    [Fact]
    public void WrongColumnCountNamesTheShapes()
    {
        var scaler = new StandardScaler().Fit(IncomeAndAge(10));
        var error = Assert.Throws<TensorShapeException>(() => scaler.Transform(Tensor.Zeros([4, 3]).To(DType.Float64)));
        Assert.Contains("(2,)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 3)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FitRejectsEmptyScalarAndNonFiniteTargets()
    {
        var scaler = new StandardScaler();
        Assert.Throws<TensorShapeException>(() => scaler.Fit(Tensor.Zeros([0, 2])));
        Assert.Throws<TensorShapeException>(() => scaler.Fit(Tensor.Scalar(1)));
        var error = Assert.Throws<ArgumentException>(() => scaler.Fit(Tensor.FromArray(new[] { 1f, float.NaN }, [2, 1])));
        Assert.Contains("CheckFinite", error.Message, StringComparison.Ordinal);
        Assert.False(scaler.IsFitted);
    }

    [Fact]
    public void IntegerTargetsBecomeFloat32()
    {
        var targets = Tensor.FromArray(new long[] { 0, 5, 10 }, [3, 1]);
        var scaled = new MinMaxScaler().Fit(targets).Transform(targets);
        Assert.Equal(DType.Float32, scaled.DType);
        Assert.Equal([0f, 0.5f, 1f], scaled.ToArray());
    }

    [Fact]
    public void FromStateDictRejectsBadStates()
    {
        Assert.Throws<ArgumentException>(() => TargetScaler.FromStateDict(new StateDict()));
        var unknown = new StateDict();
        unknown.Metadata["scaler"] = "robust";
        Assert.Contains("'robust'", Assert.Throws<ArgumentException>(() => TargetScaler.FromStateDict(unknown)).Message, StringComparison.Ordinal);

        var missing = new StandardScaler().Fit(IncomeAndAge(5)).ToStateDict();
        missing.Remove("std");
        Assert.Contains("'std'", Assert.Throws<ArgumentException>(() => TargetScaler.FromStateDict(missing)).Message, StringComparison.Ordinal);

        var zero = new StandardScaler().Fit(IncomeAndAge(5)).ToStateDict();
        zero["std"] = Tensor.Zeros([2]).To(DType.Float64);
        Assert.Throws<ArgumentException>(() => TargetScaler.FromStateDict(zero));

        var mismatched = new MinMaxScaler().Fit(IncomeAndAge(5)).ToStateDict();
        mismatched["max"] = Tensor.Ones([3]).To(DType.Float64);
        Assert.Throws<TensorShapeException>(() => TargetScaler.FromStateDict(mismatched));
    }

    [Fact]
    public void FromBoundsValidatesTheBounds()
    {
        Assert.Throws<ArgumentException>(() => MinMaxScaler.FromBounds([0, 0], [1]));
        Assert.Throws<ArgumentException>(() => MinMaxScaler.FromBounds([2], [1]));
        Assert.Throws<ArgumentException>(() => MinMaxScaler.FromBounds([0], [double.PositiveInfinity]));
    }
}

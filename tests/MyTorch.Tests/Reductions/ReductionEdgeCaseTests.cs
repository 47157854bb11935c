using MyTorch.Diagnostics;
using Xunit;

namespace MyTorch.Tests.Reductions;

/// <summary>
/// The reductions' PyTorch edge cases beyond the fixtures: errors that name the op and shape, 0-d and empty tensors, int64
/// inputs, both float dtypes, gradients scattered to the chosen indices, stable sorting and second derivatives.
/// </summary>
public class ReductionEdgeCaseTests
{
    private static Tensor T(params double[] values) => Tensor.FromArray(values, requiresGrad: true);

    [Fact]
    public void EmptyReductionsWithoutAnIdentity_ThrowTensorShapeExceptions_NamingTheOpAndShape()
    {
        var empty = Tensor.Zeros([0, 3]);
        Assert.Contains("max: the tensor of shape (0, 3) is empty", Assert.Throws<TensorShapeException>(() => empty.Max()).Message, StringComparison.Ordinal);
        Assert.Contains("(0, 3)", Assert.Throws<TensorShapeException>(() => empty.ArgMax()).Message, StringComparison.Ordinal);
        Assert.Contains("(0, 3)", Assert.Throws<TensorShapeException>(() => empty.MaxWithIndices(0)).Message, StringComparison.Ordinal);
        Assert.Contains("argmin", Assert.Throws<TensorShapeException>(() => empty.ArgMin()).Message, StringComparison.Ordinal);
        Assert.Contains("median", Assert.Throws<TensorShapeException>(() => empty.Median(0)).Message, StringComparison.Ordinal);
        var (values, indices) = empty.MaxWithIndices(1);
        Assert.Equal([0], values.Shape.ToArray());
        Assert.Equal(DType.Int64, indices.DType);
    }

    [Fact]
    public void BadArguments_AreReported()
    {
        var x = Tensor.Zeros([2, 3]);
        Assert.Contains("more than once", Assert.Throws<TensorShapeException>(() => x.Sum([1, -1])).Message, StringComparison.Ordinal);
        Assert.Throws<TensorShapeException>(() => x.Mean([2]));
        Assert.Contains("k = 4", Assert.Throws<TensorShapeException>(() => x.TopK(4, 1)).Message, StringComparison.Ordinal);
        Assert.Throws<TensorShapeException>(() => x.TopK(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Norm(3));
        Assert.Throws<TensorShapeException>(() => x.Cumsum(2));
        Assert.Throws<TensorShapeException>(() => x.Sort(-3));
    }

    [Fact]
    public void EmptyTensors_GivePyTorchsIdentities()
    {
        var empty = Tensor.Zeros([0, 3], DType.Float64);
        Assert.Equal(1, empty.Prod().Item());
        Assert.Equal([1.0, 1, 1], empty.Prod(0).ToArray<double>());
        Assert.Equal(0, empty.Norm().Item());
        Assert.Equal([0.0, 0, 0], empty.Norm(double.PositiveInfinity, 0).ToArray<double>());
        Assert.True(double.IsNaN(empty.Median().Item()));
        Assert.Equal(double.NegativeInfinity, empty.LogSumExp().Item());
        Assert.Equal([0, 3], empty.Cumprod(0).Shape.ToArray());
        Assert.True(double.IsNaN(empty.Mean([0, 1]).Item()));
        Assert.Equal([0, 0], empty.TopK(0, 1).Values.Shape.ToArray());
    }

    [Fact]
    public void ZeroDimensionalTensors_HaveOneDimension()
    {
        var x = Tensor.FromArray(new[] { -3.0 }, [], requiresGrad: true);
        Assert.Equal(-3, x.Prod(0).Item());
        Assert.Equal(-3, x.Cumsum(-1).Item());
        Assert.Equal(0, x.Cumprod(0).Rank);
        var (values, indices) = x.Sort();
        Assert.Equal((-3.0, 0L, 0), (values.Item(), indices.ToArray<long>()[0], indices.Rank));
        Assert.Equal(-3, x.Median().Item());
        Assert.Equal(0, x.Median(0).Indices.Rank);
        Assert.Equal(3, x.Norm().Item());
        Assert.Equal(-3, x.Sum([0]).Item());
        Assert.Equal(-3, x.TopK(1).Values.Item());
    }

    [Fact]
    public void Int64Inputs_SortMultiplyAndAddExactly()
    {
        var x = Tensor.FromArray(new long[] { 3, -1, 2, 5 });
        Assert.Equal([3L, 2, 4, 9], x.Cumsum(0).ToArray<long>());
        Assert.Equal([3L, -3, -6, -30], x.Cumprod(0).ToArray<long>());
        Assert.Equal(-30L, x.Prod().ToArray<long>()[0]);
        Assert.Equal([-1L, 2, 3, 5], x.Sort().Values.ToArray<long>());
        Assert.Equal(2, x.Median().Item());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Outputs_KeepTheDType(DType dtype)
    {
        var x = Tensor.Rand([3, 4], new Generator(1), dtype);
        foreach (var y in new[] { x.Sum([0, 1]), x.Std(1), x.Prod(0), x.Cumsum(1), x.Cumprod(0), x.Norm(), x.LogSumExp(), x.Sort(1).Values,
                     x.TopK(2).Values, x.Median(), x.Median(1).Values, x.MaxWithIndices(0).Values })
            Assert.Equal(dtype, y.DType);
    }

    [Fact]
    public void SortIsStable_OnLongRowsOfTies()
    {
        var values = Enumerable.Range(0, 200).Select(i => (double)(i * 7 % 3)).ToArray();
        var (sorted, indices) = Tensor.FromArray(values).Sort();
        var order = indices.ToArray<long>();
        var keys = sorted.ToArray<double>();
        for (int i = 1; i < order.Length; i++)
            Assert.True(keys[i - 1] < keys[i] || (keys[i - 1] == keys[i] && order[i - 1] < order[i]), $"position {i}");
        var (_, descending) = Tensor.FromArray(values).Sort(descending: true);
        var down = descending.ToArray<long>();
        for (int i = 1; i < down.Length; i++)
            Assert.True(values[down[i - 1]] > values[down[i]] || down[i - 1] < down[i], $"descending position {i}");
    }

    [Fact]
    public void SelectingReductions_ScatterTheGradientToTheChosenIndices()
    {
        var x = T(0.5, -2, 3, 1);
        x.TopK(2).Values.Backward(Tensor.FromArray(new[] { 10.0, 20 }));
        Assert.Equal([0, 0, 10.0, 20], x.Grad!.ToArray<double>());

        var y = T(2, 1, 2, 2, 1, 2, 0);
        y.Median().Backward();
        Assert.Equal([0.25, 0, 0.25, 0.25, 0, 0.25, 0], y.Grad!.ToArray<double>());

        var z = T(4, 1, 3, 2);
        z.Median(0).Values.Backward();
        Assert.Equal([0, 0, 0, 1.0], z.Grad!.ToArray<double>());

        var w = T(3, 1, 2);
        var (values, _) = w.Sort(descending: true);
        values.Backward(Tensor.FromArray(new[] { 1.0, 2, 3 }));
        Assert.Equal([1.0, 3, 2], w.Grad!.ToArray<double>());
    }

    [Fact]
    public void ZeroInputs_GivePyTorchsGradients()
    {
        var prod = T(0, 2, 0, 3);
        prod.Prod().Backward();
        Assert.Equal([0.0, 0, 0, 0], prod.Grad!.ToArray<double>());
        var one = T(1, 2, 0, 3);
        one.Prod().Backward();
        Assert.Equal([0.0, 0, 6, 0], one.Grad!.ToArray<double>());
        var cumprod = T(1, 2, 0, 3, 0, 4);
        cumprod.Cumprod(0).Backward(Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }));
        Assert.Equal([5.0, 2, 30, 0, 0, 0], cumprod.Grad!.ToArray<double>());
        var norm = T(0, 0, 0);
        norm.Norm().Backward();
        Assert.Equal([0.0, 0, 0], norm.Grad!.ToArray<double>());
        var std = T(2, 2, 2);
        std.Std().Backward();
        Assert.Equal([0.0, 0, 0], std.Grad!.ToArray<double>());
        var inf = T(1, -3, 3);
        inf.Norm(double.PositiveInfinity).Backward();
        Assert.Equal([0, -0.5, 0.5], inf.Grad!.ToArray<double>());
    }

    [Fact]
    public void NaN_IsTheLargestForSortAndTopK_AndPropagatesThroughMedian()
    {
        var x = Tensor.FromArray(new[] { 3.0, double.NaN, 1 });
        Assert.Equal([2L, 0, 1], x.Sort().Indices.ToArray<long>());
        Assert.Equal([1L, 0], x.TopK(2).Indices.ToArray<long>());
        Assert.Equal([2L, 0], x.TopK(2, largest: false).Indices.ToArray<long>());
        Assert.True(double.IsNaN(x.Median().Item()));
        Assert.Equal(1L, x.Median(0).Indices.ToArray<long>()[0]);
        Assert.Equal(1L, x.MaxWithIndices(0).Indices.ToArray<long>()[0]);
    }

    [Fact]
    public void SecondDerivatives_MatchFiniteDifferencesOfTheFirst()
    {
        // d/dx <grad f(x), v> by finite differences of the analytic first derivative, for the ops whose gradient depends on x.
        var v = Tensor.FromArray(new[] { 0.3, -0.7, 0.5, 1.1, -0.2, 0.9 }, [2, 3]);
        Func<Tensor, Tensor>[] functions =
        [
            x => x.Prod(1), x => x.Cumprod(1), x => x.Std(1), x => x.Norm(), x => x.LogSumExp(), x => x.Var([0, 1]),
        ];
        var start = new[] { 0.8, -1.3, 0.4, 1.7, 0.6, -0.9 };
        foreach (var f in functions)
        {
            var x = Tensor.FromArray(start, [2, 3], requiresGrad: true);
            var first = Autograd.Grad(f(x).Sum(), x, createGraph: true)!;
            var second = Autograd.Grad((first * v).Sum(), x)!.ToArray<double>();
            for (int i = 0; i < start.Length; i++)
            {
                double Directional(double step)
                {
                    var shifted = (double[])start.Clone();
                    shifted[i] += step;
                    var at = Tensor.FromArray(shifted, [2, 3], requiresGrad: true);
                    return (Autograd.Grad(f(at).Sum(), at)! * v).Sum().Item();
                }
                double numeric = (Directional(1e-6) - Directional(-1e-6)) / 2e-6;
                Assert.True(Math.Abs(numeric - second[i]) <= 1e-5 * Math.Max(1, Math.Abs(numeric)), $"element {i}: {second[i]} vs {numeric}");
            }
        }
    }
}

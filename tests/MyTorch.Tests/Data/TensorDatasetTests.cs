using MyTorch.Data;
using Xunit;

namespace MyTorch.Tests.Data;

public class TensorDatasetTests
{
    private static TensorDataset Rows(int count, int features = 2)
    {
        var x = new double[count * features];
        for (int i = 0; i < x.Length; i++) x[i] = i;
        var y = new double[count];
        for (int i = 0; i < count; i++) y[i] = 100 + i;
        return new TensorDataset(Tensor.FromArray(x, [count, features]), Tensor.FromArray(y, [count, 1]));
    }

    [Fact]
    public void CountAndTensorsAreThoseGiven()
    {
        var data = Rows(5);
        Assert.Equal(5, data.Count);
        Assert.Equal([5, 2], data.Inputs.Shape.ToArray());
        Assert.Equal([5, 1], data.Targets.Shape.ToArray());
    }

    [Fact]
    public void MismatchedFirstDimensionsNameBothShapes()
    {
        var error = Assert.Throws<TensorShapeException>(() => new TensorDataset(Tensor.Zeros([4, 3]), Tensor.Zeros([5, 1])));
        Assert.Contains("(4, 3)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(5, 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScalarTensorsAreRejected() =>
        Assert.Throws<TensorShapeException>(() => new TensorDataset(Tensor.Scalar(1), Tensor.Zeros([1])));

    [Fact]
    public void SubsetCopiesTheListedRowsInOrder()
    {
        var data = Rows(5);
        var subset = data.Subset([3, 0, 3]);
        Assert.Equal(3, subset.Count);
        Assert.Equal([6.0, 7, 0, 1, 6, 7], subset.Inputs.ToArray<double>());
        Assert.Equal([103.0, 100, 103], subset.Targets.ToArray<double>());
        Assert.NotSame(data.Inputs, subset.Inputs);
    }

    [Fact]
    public void EmptySubsetHasNoRows()
    {
        var subset = Rows(5).Subset([]);
        Assert.Equal(0, subset.Count);
        Assert.Equal([0, 2], subset.Inputs.Shape.ToArray());
    }

    [Fact]
    public void CheckFinitePassesCleanDataAndIntegerTargets()
    {
        var data = Rows(4);
        Assert.Same(data, data.CheckFinite());
        new TensorDataset(Tensor.Ones([3, 2]), Tensor.FromArray(new long[] { 0, 1, 2 })).CheckFinite();
    }

    [Fact]
    public void CheckFiniteNamesTheRowAndColumnOfANaNInput()
    {
        var x = new float[] { 1, 2, 3, 4, 5, float.NaN, 7, 8 };
        var data = new TensorDataset(Tensor.FromArray(x, [4, 2]), Tensor.Zeros([4, 1]));
        var error = Assert.Throws<ArgumentException>(() => data.CheckFinite());
        Assert.Contains("row 2 (0-based) of the inputs holds NaN at column 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFiniteReportsTheEarliestRowAcrossInputsAndTargets()
    {
        var x = new double[] { 1, 2, 3, 4, 5, double.PositiveInfinity };
        var y = new double[] { 0, double.NegativeInfinity, 0 };
        var data = new TensorDataset(Tensor.FromArray(x, [3, 2]), Tensor.FromArray(y, [3, 1]));
        var error = Assert.Throws<ArgumentException>(() => data.CheckFinite());
        Assert.Contains("row 1 (0-based) of the targets holds -infinity at column 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFiniteGivesThePositionInsideImageRows()
    {
        var values = new double[12];
        values[6 + 5] = double.NaN; // row 1, position [1, 2]
        var data = new TensorDataset(Tensor.FromArray(values, [2, 2, 3]), Tensor.Zeros([2]));
        var error = Assert.Throws<ArgumentException>(() => data.CheckFinite());
        Assert.Contains("row 1 (0-based) of the inputs holds NaN at column 5 (position [1, 2]", error.Message, StringComparison.Ordinal);
    }
}

using Xunit;

namespace MyTorch.Tests.Shape;

/// <summary>The C# indexer, <c>x[params TensorIndex[]]</c>: its syntax, its values against the ops it stands for, its gradients and its errors.</summary>
public class IndexingTests
{
    private static Tensor Range(DType dtype, params int[] shape) =>
        Tensor.Arange(0, Enumerable.Aggregate(shape, 1, (a, b) => a * b), 1, dtype).Reshape(shape);

    private static void AssertMessage(Action action, params string[] parts)
    {
        var error = Assert.Throws<TensorShapeException>(action);
        foreach (var part in parts) Assert.Contains(part, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void IntegersRangesAndSteps_ReadAsInPython(DType dtype)
    {
        var x = Range(dtype, 4, 5);
        Assert.Equal(new double[] { 5, 6, 7, 8, 9 }, x[1].ToArray<double>());
        Assert.Equal(x[3].ToArray<double>(), x[-1].ToArray<double>());
        Assert.Equal(x[3].ToArray<double>(), x[^1].ToArray<double>());
        Assert.Equal(19, x[-1, ^1].Item());
        Assert.Empty(x[2, 3].Shape.ToArray());
        Assert.Equal([2, 5], x[1..^1].Shape);
        Assert.Equal(x.Narrow(0, 1, 2).ToArray<double>(), x[1..^1].ToArray<double>());
        Assert.Equal(new double[] { 2, 7, 12, 17 }, x[.., 2].ToArray<double>());
        Assert.Equal(new double[] { 0, 2, 4, 10, 12, 14 }, x[TensorIndex.Slice(null, null, 2), TensorIndex.Slice(0, null, 2)].ToArray<double>());
        Assert.Equal(new double[] { 6, 8 }, x[1, TensorIndex.Slice(1..^1, 2)].ToArray<double>());
        Assert.Equal([4, 0], x[.., 3..1].Shape);
        Assert.Equal([4, 5], x[TensorIndex.Slice(-100, 100)].Shape);
    }

    [Fact]
    public void NewAxisAndEllipsis()
    {
        var x = Range(DType.Float64, 2, 3, 4);
        Assert.Equal([1, 2, 3, 4], x[TensorIndex.NewAxis].Shape);
        Assert.Equal([2, 3, 4, 1], x[TensorIndex.Ellipsis, TensorIndex.NewAxis].Shape);
        Assert.Equal(x[.., .., 1].ToArray<double>(), x[TensorIndex.Ellipsis, 1].ToArray<double>());
        Assert.Equal([2, 1, 4], x[.., TensorIndex.NewAxis, 0].Shape);
        var scalar = Tensor.Scalar(3, DType.Float64);
        Assert.Equal([1], scalar[TensorIndex.NewAxis].Shape);
        var copy = scalar[TensorIndex.Ellipsis];
        Assert.NotSame(scalar, copy);
        Assert.Equal(3, copy.Item());
    }

    [Fact]
    public void AMask_SelectsElements_AndScattersTheGradientBack()
    {
        var x = Range(DType.Float64, 2, 3).RequireGrad();
        var mask = x.Gt(1.5);
        var picked = x[mask];
        Assert.Equal(new double[] { 2, 3, 4, 5 }, picked.ToArray<double>());
        (picked * Tensor.FromArray(new double[] { 1, 2, 3, 4 })).Sum().Backward();
        Assert.Equal(new double[] { 0, 0, 1, 2, 3, 4 }, x.Grad!.ToArray<double>());

        var rows = Range(DType.Float32, 3, 2)[Tensor.FromArray(new float[] { 1, 0, 1 })];
        Assert.Equal([2, 2], rows.Shape);
        Assert.Equal(new float[] { 0, 1, 4, 5 }, rows.ToArray<float>());
        Assert.Equal([0], Range(DType.Float32, 2, 2)[Tensor.Zeros([2, 2])].Shape);
        Assert.Equal([1, 2, 2], Range(DType.Float32, 2, 2)[TensorIndex.Mask(Tensor.Scalar(1))].Shape);
    }

    [Fact]
    public void AnInt64Tensor_PicksPositions_InItsShape()
    {
        var x = Range(DType.Float64, 3, 4);
        var picked = x[.., Tensor.FromArray(new long[] { 3, 0, 0, -1 }, [2, 2])];
        Assert.Equal([3, 2, 2], picked.Shape);
        Assert.Equal(new double[] { 3, 0, 0, 3 }, picked[0].Flatten().ToArray<double>());
        AssertMessage(() => TensorIndex.Indices(Tensor.Zeros([2])), "int64", "Mask");
    }

    [Fact]
    public void BadIndices_NameTheIndexAndTheSize()
    {
        var x = Range(DType.Float32, 3, 4);
        AssertMessage(() => _ = x[3], "index 3", "dimension 0", "size 3");
        AssertMessage(() => _ = x[0, -5], "index -5", "dimension 1", "size 4");
        AssertMessage(() => _ = x[0, 0, 0], "too many indices", "(3, 4)");
        AssertMessage(() => _ = x[TensorIndex.Ellipsis, TensorIndex.Ellipsis], "one ellipsis");
        AssertMessage(() => _ = x[TensorIndex.Slice(0, 2, 0)], "step", "positive");
        AssertMessage(() => _ = x[TensorIndex.Slice(0, 2, -1)], "step", "positive");
        AssertMessage(() => _ = x[Tensor.Ones([4])], "mask", "(4,)", "(3, 4)");
        AssertMessage(() => _ = x[Tensor.FromArray(new long[] { 3 })], "index_select", "index 3", "size 3");
        AssertMessage(() => _ = Tensor.Scalar(1)[0], "too many indices");
        var rows = Tensor.FromArray(new long[] { 0, 1 });
        AssertMessage(() => _ = x[rows, rows], "at most one tensor index", "index(2,), index(2,)");
    }

    [Fact]
    public void Gradients_FlowThroughIntegersAndSlices()
    {
        var x = Range(DType.Float64, 3, 4).RequireGrad();
        var y = x[1..^0, TensorIndex.Slice(1, null, 2)];   // rows 1, 2; columns 1, 3
        y.Sum().Backward();
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1 }, x.Grad!.ToArray<double>());
        Assert.True(GradCheck.Check(t => t[0][TensorIndex.Ellipsis, 1..3, TensorIndex.NewAxis][0], [Range(DType.Float64, 2, 4).RequireGrad()]).Passed);
    }

    [Fact]
    public void TensorIndex_WritesItselfAsPython()
    {
        Assert.Equal("1:-1:2", TensorIndex.Slice(1..^1, 2).ToString());
        Assert.Equal(":", TensorIndex.Slice().ToString());
        Assert.Equal("-3", ((TensorIndex)(-3)).ToString());
        Assert.Equal("...", TensorIndex.Ellipsis.ToString());
        Assert.Equal("None", TensorIndex.NewAxis.ToString());
        Assert.Equal(TensorIndex.Position(2), (TensorIndex)2);
        Assert.True(TensorIndex.Slice(1, 3) == (TensorIndex)(1..3));
    }
}

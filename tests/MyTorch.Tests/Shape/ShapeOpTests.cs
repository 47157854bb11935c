using MyTorch.Diagnostics;
using MyTorch.Ops;
using Xunit;

namespace MyTorch.Tests.Shape;

/// <summary>
/// The shape and indexing ops beyond the PyTorch fixtures: 0-d and empty tensors, negative dimensions, every error
/// message (naming the op, the shapes, the index and the size), both dtypes, and the declared notation and gradient checks.
/// </summary>
public class ShapeOpTests
{
    private static Tensor Range(DType dtype, params int[] shape) =>
        Tensor.Arange(0, Enumerable.Aggregate(shape, 1, (a, b) => a * b), 1, dtype).Reshape(shape);

    private static void AssertMessage(Action action, params string[] parts)
    {
        var error = Assert.Throws<TensorShapeException>(action);
        foreach (var part in parts) Assert.Contains(part, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> DeclaredOps() =>
        ["reshape", "permute", "broadcast_to", "narrow", "concat", "split", "flip", "repeat", "gather", "scatter", "scatter_add",
         "index_select", "index_add", "masked_fill", "clone"];

    [Theory]
    [MemberData(nameof(DeclaredOps))]
    public void EachOp_BringsItsNotationAndPassingGradientChecks(string name)
    {
        var op = OpRegistry.Find(name)!;
        Assert.NotNull(op);
        Assert.Same(op.Notation, MyTorch.Visualization.OpNotation.For(name, op.Notation.Local.Length));
        var cases = op.GradCheckCases.ToArray();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
            Assert.True(GradCheck.Check(c.Function, c.Inputs(), c.Step).Passed, $"{c.Name} {c.Variant}");
    }

    [Fact]
    public void GradCheckSuite_HasEveryNewOp()
    {
        var names = GradCheckSuite.Cases.Select(c => c.Name).ToHashSet();
        foreach (var name in new[] { "T", "mT", "expand", "stack", "split", "chunk", "flip", "roll", "repeat", "gather", "scatter", "scatter_add",
                     "index_add", "masked_fill", "index_select", "squeeze", "narrow" })
            Assert.Contains(name, names);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void T_ReversesEveryDimension_AndMT_SwapsTheLastTwo(DType dtype)
    {
        var x = Range(dtype, 2, 3, 4);
        Assert.Equal([4, 3, 2], x.T.Shape);
        Assert.Equal(x.Permute(2, 1, 0).ToArray<double>(), x.T.ToArray<double>());
        Assert.Equal([2, 4, 3], x.mT.Shape);
        Assert.Equal(x.Transpose(-1, -2).ToArray<double>(), x.mT.ToArray<double>());
        Assert.Equal([3], Range(dtype, 3).T.Shape);
        Assert.Empty(Tensor.Scalar(2, dtype).T.Shape.ToArray());
        AssertMessage(() => _ = Range(dtype, 3).mT, "mT", "(3,)");
    }

    [Fact]
    public void Squeeze_WithoutADimension_DropsEverySizeOne()
    {
        Assert.Equal([3, 2], Tensor.Zeros([1, 3, 1, 2]).Squeeze().Shape);
        Assert.Empty(Tensor.Zeros([1, 1]).Squeeze().Shape.ToArray());
        Assert.Equal([0], Tensor.Zeros([1, 0, 1]).Squeeze().Shape);
        var scalar = Tensor.Scalar(3);
        Assert.Same(scalar, scalar.Squeeze());
    }

    [Fact]
    public void Expand_KeepsSizesForMinusOne_AndNamesBadShapes()
    {
        var x = Range(DType.Float64, 3, 1);
        Assert.Equal([2, 3, 4], x.Expand(2, -1, 4).Shape);
        Assert.Equal([3, 1], x.Expand(-1, -1).Shape);
        AssertMessage(() => x.Expand(-1, 3, 1), "expand", "-1", "leading");
        AssertMessage(() => x.Expand(4, 2), "expand", "(3, 1)", "(4, 2)");
        AssertMessage(() => x.Expand(5), "expand", "1 sizes", "(3, 1)");
    }

    [Fact]
    public void Narrow_NegativeStart_CountsFromTheEnd()
    {
        var x = Range(DType.Float64, 5);
        Assert.Equal(new double[] { 2, 3 }, x.Narrow(0, -3, 2).ToArray<double>());
        Assert.Equal(new double[] { 0, 1, 2, 3, 4 }, x.Narrow(-1, -5, 5).ToArray<double>());
        Assert.Empty(x.Narrow(0, 5, 0).ToArray<double>());
        AssertMessage(() => x.Narrow(0, -6, 1), "narrow", "start -6", "size 5");
        AssertMessage(() => x.Narrow(0, -2, 3), "narrow", "size 5");
        AssertMessage(() => Tensor.Scalar(1).Narrow(0, 0, 1), "narrow", "0-d");
    }

    [Fact]
    public void StackSplitChunk_Errors()
    {
        AssertMessage(() => Tensor.Stack([Tensor.Zeros([2, 3]), Tensor.Zeros([3, 2])]), "stack", "(2, 3)", "(3, 2)");
        AssertMessage(() => Tensor.Stack([Tensor.Zeros([2])], 2), "stack", "dimension 2");
        AssertMessage(() => Tensor.Zeros([5]).Split([2, 2]), "split", "(2, 2)", "add up to 4", "size 5");
        AssertMessage(() => Tensor.Zeros([5]).Split(0), "split", "split size 0");
        AssertMessage(() => Tensor.Zeros([5]).Chunk(0), "chunk", "positive");
        AssertMessage(() => Tensor.Scalar(1).Split(1), "split", "0-d");
        Assert.Equal([1, 2], Tensor.Stack([Tensor.Zeros([2])], 0).Shape);
    }

    [Fact]
    public void FlipRollRepeat_EdgeCases()
    {
        var x = Range(DType.Float32, 2, 3);
        Assert.Equal(new double[] { 5, 4, 3, 2, 1, 0 }, x.Flip(0, 1).ToArray<double>());
        Assert.Equal(new double[] { 3, 4, 5, 0, 1, 2 }, x.Flip(-2).ToArray<double>());
        Assert.NotSame(x, x.Flip());
        AssertMessage(() => x.Flip(0, -2), "flip", "appears twice");
        Assert.Equal(new double[] { 2, 0, 1, 5, 3, 4 }, x.Roll([1], [1]).ToArray<double>());
        Assert.Equal(new double[] { 5, 0, 1, 2, 3, 4 }, x.Roll([7], []).ToArray<double>());
        AssertMessage(() => x.Roll([1, 2], [0]), "roll", "2 shifts for 1 dims");
        AssertMessage(() => x.Roll([1, 2], []), "roll", "one shift");
        Assert.Equal([3, 0, 6], x.Repeat(3, 0, 2).Shape);
        Assert.Equal(new double[] { 7, 7, 7 }, Tensor.Scalar(7).Repeat(3).ToArray<double>());
        AssertMessage(() => x.Repeat(2), "repeat", "(2, 3)");
        var same = x.Repeat(1, 1);
        Assert.Equal(x.ToArray<double>(), same.ToArray<double>());
        Assert.NotSame(x, same);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void GatherAndScatter_CheckTheirIndices(DType dtype)
    {
        var x = Range(dtype, 3, 4);
        var bad = Tensor.FromArray(new long[] { 0, 4 }, [1, 2]);
        AssertMessage(() => x.Gather(1, bad), "gather", "index 4", "dimension 1", "size 4");
        AssertMessage(() => x.Gather(1, Tensor.FromArray(new long[] { -1 }, [1, 1])), "gather", "index -1", "size 4");
        AssertMessage(() => x.Gather(0, Tensor.FromArray(new double[] { 0 }, [1, 1])), "gather", "int64", "float64");
        AssertMessage(() => x.Gather(0, Tensor.FromArray(new long[] { 0 })), "gather", "as many dimensions", "(3, 4)");
        AssertMessage(() => x.Gather(0, Tensor.FromArray(new long[] { 0, 0, 0, 0, 0 }, [1, 5])), "gather", "larger", "dimension 1");
        AssertMessage(() => x.Scatter(1, bad, Range(dtype, 1, 2)), "scatter", "index 4", "size 4");
        AssertMessage(() => x.Scatter(0, Tensor.FromArray(new long[] { 0, 0 }, [1, 2]), Range(dtype, 1, 1)), "scatter", "larger than the source");
        AssertMessage(() => x.ScatterAdd(0, Tensor.FromArray(new long[] { 3 }, [1, 1]), Range(dtype, 1, 1)), "scatter_add", "index 3", "size 3");
        AssertMessage(() => x.ScatterAdd(0, Tensor.FromArray(new long[] { 0 }, [1, 1]), Range(dtype == DType.Float32 ? DType.Float64 : DType.Float32, 1, 1)),
            "scatter_add", "element types differ");
        Assert.Equal([0, 2], x.Gather(0, Tensor.Zeros([0, 2], DType.Int64)).Shape);
    }

    [Fact]
    public void Scatter_LastWriteWins_AndScatterAddSumsInOrder()
    {
        var x = Tensor.Zeros([3], DType.Float64);
        var index = Tensor.FromArray(new long[] { 1, 1, 2 });
        var src = Tensor.FromArray(new double[] { 10, 20, 30 });
        Assert.Equal(new double[] { 0, 20, 30 }, x.Scatter(0, index, src).ToArray<double>());
        Assert.Equal(new double[] { 0, 30, 30 }, x.ScatterAdd(0, index, src).ToArray<double>());
        Assert.Equal(new double[] { 0, -1, -1 }, x.Scatter(0, index, -1.0).ToArray<double>());
    }

    [Fact]
    public void IndexAdd_ChecksItsSourceAndIndex()
    {
        var x = Tensor.Zeros([3, 2], DType.Float64);
        var added = x.IndexAdd(0, Tensor.FromArray(new long[] { 2, 2, -3 }), Tensor.Ones([3, 2], DType.Float64));
        Assert.Equal(new double[] { 1, 1, 0, 0, 2, 2 }, added.ToArray<double>());
        AssertMessage(() => x.IndexAdd(0, Tensor.FromArray(new long[] { 3 }), Tensor.Ones([1, 2], DType.Float64)), "index_add", "index 3", "size 3");
        AssertMessage(() => x.IndexAdd(0, Tensor.FromArray(new long[] { 0 }), Tensor.Ones([2, 2], DType.Float64)), "index_add", "(2, 2)", "(1, 2)");
        AssertMessage(() => x.IndexAdd(1, Tensor.FromArray(new long[] { 0 }, [1, 1]), Tensor.Ones([3, 1], DType.Float64)), "index_add", "1-D");
    }

    [Fact]
    public void IndexSelect_OnEveryDimension_AndOnA0dTensor()
    {
        var x = Range(DType.Float64, 2, 3, 4);
        var index = Tensor.FromArray(new long[] { 1, 0 });
        for (int d = -3; d < 3; d++)
        {
            var picked = x.IndexSelect(d, index);
            int wrapped = d < 0 ? d + 3 : d;
            Assert.Equal(2, picked.Shape[wrapped]);
            Assert.Equal(x.Narrow(d, 1, 1).ToArray<double>(), picked.Narrow(d, 0, 1).ToArray<double>());
        }
        Assert.Empty(Tensor.Scalar(5).IndexSelect(0, Tensor.FromArray(new long[] { 0 })).Shape.ToArray());
        Assert.Equal(5, Tensor.Scalar(5).IndexSelect(0, Tensor.FromArray(new long[] { 0 })).Item());
    }

    [Fact]
    public void MaskedFill_BroadcastsTheMask_AndItsGradientSkipsTheFilled()
    {
        var x = Range(DType.Float64, 2, 3).RequireGrad();
        var mask = Tensor.FromArray(new double[] { 1, 0, 1 });
        var y = x.MaskedFill(mask, double.NegativeInfinity);
        Assert.Equal(new[] { double.NegativeInfinity, 1, double.NegativeInfinity, double.NegativeInfinity, 4, double.NegativeInfinity }, y.ToArray<double>());
        y.Backward(Tensor.Ones([2, 3], DType.Float64));
        Assert.Equal(new double[] { 0, 1, 0, 0, 1, 0 }, x.Grad!.ToArray<double>());
        // A comparison's 0/1 mask, as MyTorch writes masks.
        var z = Range(DType.Float32, 4).MaskedFill(Range(DType.Float32, 4).Gt(1.5), 0);
        Assert.Equal(new float[] { 0, 1, 0, 0 }, z.ToArray<float>());
    }
}

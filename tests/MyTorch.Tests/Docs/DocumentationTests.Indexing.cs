using Xunit;

namespace MyTorch.Tests.Docs;

// docs/tensors-and-autograd.md's indexing example and docs/op-reference.md's index errors.
public partial class DocumentationTests
{
    [Fact]
    public void Indexing()
    {
        var x = Tensor.Arange(12, DType.Float64).Reshape(3, 4).RequireGrad();
        var last = x[^1];                                   // (4,): row 2
        var inner = x[1..^1, TensorIndex.Slice(0, null, 2)];   // (1, 2): row 1, columns 0 and 2
        var column = x[TensorIndex.Ellipsis, 0];            // (3,)
        var large = x[x.Gt(8)];                             // (3,): 9, 10, 11
        large.Sum().Backward();                             // x.Grad is 1 where x > 8, 0 elsewhere

        Assert.Equal(new double[] { 8, 9, 10, 11 }, last.ToArray<double>());
        Assert.Equal(new double[] { 4, 6 }, inner.ToArray<double>());
        Assert.Equal([1, 2], inner.Shape);
        Assert.Equal(new double[] { 0, 4, 8 }, column.ToArray<double>());
        Assert.Equal(new double[] { 9, 10, 11 }, large.ToArray<double>());
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void IndexErrorsNameTheIndexAndTheSize()
    {
        var gather = Assert.Throws<TensorShapeException>(() => Tensor.Zeros([3, 4]).Gather(1, Tensor.FromArray(new long[] { 0, 4 }, [1, 2])));
        Assert.Equal("gather: index 4 at position 1 is out of range for dimension 1 of size 4 (expected 0 to 3). (Parameter 'index')", gather.Message);
        var index = Assert.Throws<TensorShapeException>(() => Tensor.Zeros([3, 4])[3]);
        Assert.Equal("index: index 3 is out of range for dimension 0 of size 3 (expected -3 to 2; shape (3, 4)). (Parameter 'index')", index.Message);
    }
}

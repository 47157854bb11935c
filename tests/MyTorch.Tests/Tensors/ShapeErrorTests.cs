using MyTorch;
using Xunit;

namespace MyTorch.Tests.Tensors;

/// <summary>A wrong shape names the op and every shape involved, as an ArgumentException.</summary>
public class ShapeErrorTests
{
    private static void AssertMessage(Action action, params string[] fragments)
    {
        var error = Assert.ThrowsAny<ArgumentException>(action);
        foreach (var fragment in fragments) Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SizeOfA0dTensor_IsAShapeError_AndSizeWrapsNegativeDimensions()
    {
        AssertMessage(() => Tensor.Scalar(1.0).Size(0), "size: dimension 0 was asked for, but a 0-d tensor has no dimensions");
        Assert.Equal(4, Tensor.Zeros([3, 4]).Size(-1));
        AssertMessage(() => Tensor.Zeros([3, 4]).Size(2), "size");
    }

    [Fact]
    public void MatMulWithMisalignedShapes() =>
        AssertMessage(() => Tensor.MatMul(Tensor.Zeros([2, 3]), Tensor.Zeros([4, 5])), "matmul", "(2, 3)", "(4, 5)");

    [Fact]
    public void FailedBroadcast() =>
        AssertMessage(() => _ = Tensor.Zeros([2, 3]) + Tensor.Zeros([4]), "add", "(2, 3)", "(4,)");

    [Fact]
    public void FailedBroadcastInMultiply() =>
        AssertMessage(() => _ = Tensor.Zeros([3, 2]) * Tensor.Zeros([2, 3]), "mul", "(3, 2)", "(2, 3)");

    [Fact]
    public void BadDimension() =>
        AssertMessage(() => Tensor.Zeros([2, 3]).Sum(2), "sum", "dimension 2", "2 dimension");

    [Fact]
    public void BadReshape() =>
        AssertMessage(() => Tensor.Zeros([2, 3]).Reshape(4, 2), "reshape", "(2, 3)", "(4, 2)");

    [Fact]
    public void MixedDTypes() =>
        AssertMessage(() => _ = Tensor.Zeros([2]) + Tensor.Zeros([2], DType.Float64), "add", "float32", "float64");

    [Fact]
    public void ConcatWithMismatchedShapes() =>
        AssertMessage(() => Tensor.Concat([Tensor.Zeros([2, 3]), Tensor.Zeros([2, 4])], 0), "concat", "(2, 3)", "(2, 4)");

    [Fact]
    public void FloatOpOnIntegers() =>
        AssertMessage(() => Tensor.FromArray(new long[] { 1 }).Exp(), "exp", "int64");

    [Fact]
    public void BadBroadcastTo() =>
        AssertMessage(() => Tensor.Zeros([3]).BroadcastTo(2, 4), "broadcast_to", "(3,)", "(2, 4)");

    [Fact]
    public void NarrowOutOfRange() =>
        AssertMessage(() => Tensor.Zeros([3]).Narrow(0, 2, 2), "narrow", "size 3");
}

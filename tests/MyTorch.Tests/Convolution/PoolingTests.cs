using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Convolution;

/// <summary>
/// Max, average and adaptive pooling and Flatten/Unflatten beyond the PyTorch fixtures: ties, NaN and infinities,
/// unbatched and empty inputs, double backward, PyTorch's repr, output shapes and the messages for inputs that do not fit.
/// </summary>
public class PoolingTests
{
    [Fact]
    public void MaxPool_TakesTheFirstMaximumOnTies_ANaNWins_AndAllMinusInfinityPicksTheFirstElement()
    {
        double inf = double.PositiveInfinity;
        var x = Tensor.FromArray(new double[] { 1, 1, double.NaN, 0, 1, 1, 2, double.NaN, -inf, -inf, 3, 3, -inf, -inf, 3, 3 }, [1, 1, 4, 4], requiresGrad: true);
        var y = x.MaxPool2d(2);
        Assert.Equal(new double[] { 1, double.NaN, -inf, 3 }, y.ToArray<double>());
        y.Sum().Backward();
        Assert.Equal(new double[] { 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void MaxPool_DoubleBackward_GathersTheChosenElements()
    {
        var x = Tensor.Normal([2, 2, 5, 5], 0, 1, new Generator(4), DType.Float64).RequireGrad();
        var g = Tensor.Normal([2, 2, 2, 2], 0, 1, new Generator(5), DType.Float64).RequireGrad();
        var dx = Autograd.Grad([x.MaxPool2d(2)], [x], [g], createGraph: true)[0]!;
        var u = Tensor.Normal([2, 2, 5, 5], 0, 1, new Generator(6), DType.Float64);
        var dg = Autograd.Grad([(dx * u).Sum()], [g])[0]!;
        // d/dg of sum(scatter(g) * u) is u at each window's maximum.
        var expected = Autograd.Grad([x.MaxPool2d(2)], [x], [Tensor.Ones([2, 2, 2, 2], DType.Float64)])[0]!;
        Assert.Equal((expected * u).Sum().Item(), dg.Sum().Item(), 12);
    }

    [Fact]
    public void Pooling_TakesUnbatchedAndEmptyInputs()
    {
        var x = Tensor.Normal([3, 6, 5], 0, 1, new Generator(1));
        Assert.Equal([3, 3, 2], new MaxPool2d(2).Forward(x).Shape.ToArray());
        Assert.Equal(x.Reshape(1, 3, 6, 5).AvgPool2d(2).ToArray<double>(), x.AvgPool2d(2).ToArray<double>());
        Assert.Equal([3, 2], new MaxPool1d(2).Forward(Tensor.Zeros([3, 5])).Shape.ToArray());
        Assert.Equal([0, 3, 2, 2], new AdaptiveAvgPool2d(2).Forward(Tensor.Zeros([0, 3, 5, 5])).Shape.ToArray());
        var empty = Tensor.Zeros([0, 2, 4, 4]).RequireGrad();
        new AvgPool2d(2).Forward(empty).Sum().Backward();
        Assert.Equal([0, 2, 4, 4], empty.Grad!.Shape.ToArray());
    }

    [Fact]
    public void Modules_PrintAsPyTorch_AndGiveTheirOutputShapes()
    {
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).ToString());
        Assert.Equal("MaxPool2d(kernel_size=(2, 3), stride=1, padding=(1, 0), dilation=1, ceil_mode=True)",
            new MaxPool2d((2, 3), 1, (1, 0), ceilMode: true).ToString());
        Assert.Equal("MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)", new MaxPool1d(3, 2, 1).ToString());
        Assert.Equal("AvgPool2d(kernel_size=3, stride=2, padding=1)", new AvgPool2d(3, 2, 1).ToString());
        Assert.Equal("AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))", new AvgPool1d(3).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=(3, 2))", new AdaptiveAvgPool2d((3, 2)).ToString());
        Assert.Equal("AdaptiveAvgPool1d(output_size=4)", new AdaptiveAvgPool1d(4).ToString());
        Assert.Equal("Flatten(start_dim=1, end_dim=-1)", new Flatten().ToString());
        Assert.Equal("Unflatten(dim=1, unflattened_size=(2, 3))", new Unflatten(1, 2, 3).ToString());
        Assert.Equal([2, 3, 4, 4], new MaxPool2d(3, 2, 1).OutputShape(2, 3, 7, 8));
        Assert.Equal([2, 3, 4, 5], new MaxPool2d(3, 2, 1, ceilMode: true).OutputShape(2, 3, 7, 8));
        Assert.Equal([2, 3, 1, 1], new AdaptiveAvgPool2d(1).OutputShape(2, 3, 7, 8));
        Assert.Equal([2, 60], new Flatten().OutputShape(2, 3, 4, 5));
        Assert.Equal([2, 12, 5], new Flatten(1, 2).OutputShape(2, 3, 4, 5));
        Assert.Equal([2, 3, 20], new Flatten(-2).OutputShape(2, 3, 4, 5));
        Assert.Equal([2, 3, 4, 5], new Unflatten(1, 3, -1, 5).OutputShape(2, 60));
    }

    [Fact]
    public void FlattenAndUnflatten_AreInverseViews()
    {
        var x = Tensor.Normal([2, 3, 4], 0, 1, new Generator(2)).RequireGrad();
        var y = new Unflatten(1, 3, 4).Forward(new Flatten().Forward(x));
        Assert.Equal(x.ToArray<double>(), y.ToArray<double>());
        Assert.Equal([2, 3, 4], y.Shape.ToArray());
        y.Sum().Backward();
        Assert.All(x.Grad!.ToArray<double>(), v => Assert.Equal(1, v));
        Assert.Throws<TensorShapeException>(() => new Unflatten(1, 5, 5).Forward(Tensor.Zeros([2, 12])));
        Assert.Throws<TensorShapeException>(() => new Flatten(2, 1).Forward(Tensor.Zeros([2, 3, 4])));
        Assert.Throws<TensorShapeException>(() => new Flatten(3).Forward(Tensor.Zeros([2, 3])));
    }

    [Fact]
    public void InputsThatDoNotFit_AreShapeErrorsNamingTheLayerTheShapeAndTheSmallestSize()
    {
        var tooSmall = Assert.Throws<TensorShapeException>(() => new MaxPool2d(3).Forward(Tensor.Zeros([1, 2, 2, 5])));
        Assert.Contains("MaxPool2d(kernel_size=3", tooSmall.Message, StringComparison.Ordinal);
        Assert.Contains("(1, 2, 2, 5)", tooSmall.Message, StringComparison.Ordinal);
        Assert.Contains("smallest input size that works is (3, 3)", tooSmall.Message, StringComparison.Ordinal);

        var shortInput = Assert.Throws<TensorShapeException>(() => new AvgPool1d(4, padding: 1).Forward(Tensor.Zeros([2, 3, 1])));
        Assert.Contains("AvgPool1d", shortInput.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3, 1)", shortInput.Message, StringComparison.Ordinal);
        Assert.Contains("smallest length that works is 2", shortInput.Message, StringComparison.Ordinal);

        var rank = Assert.Throws<TensorShapeException>(() => new MaxPool2d(2).Forward(Tensor.Zeros([4, 4])));
        Assert.Contains("(4, 4)", rank.Message, StringComparison.Ordinal);
        Assert.Throws<TensorShapeException>(() => new MaxPool1d(2).Forward(Tensor.Zeros([1, 2, 3, 4])));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool2d(3, padding: 2).Forward(Tensor.Zeros([1, 1, 9, 9])));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveAvgPool2d(0).Forward(Tensor.Zeros([1, 1, 9, 9])));
        Assert.Throws<TensorShapeException>(() => new AdaptiveAvgPool1d(2).Forward(Tensor.Zeros([1, 1, 0])));
    }
}

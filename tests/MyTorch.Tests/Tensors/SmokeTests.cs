using MyTorch;
using Xunit;

namespace MyTorch.Tests.Tensors;

public class SmokeTests
{
    [Fact]
    public void TinyGraphBackward()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, requiresGrad: true);
        var w = Tensor.FromArray(new double[] { 0.5, -1, 2 }, requiresGrad: true);
        var loss = (x * w).Sum().Sigmoid();
        loss.Backward();
        double s = 1 / (1 + Math.Exp(-(0.5 - 2 + 6)));
        Assert.Equal(s, loss.Item(), 12);
        Assert.Equal(s * (1 - s) * 0.5, x.Grad!.At(0), 12);
        Assert.Equal(s * (1 - s) * 3, w.Grad!.At(2), 12);
    }

    [Fact]
    public void MatMulAndBroadcast()
    {
        var a = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }, requiresGrad: true);
        var b = Tensor.FromArray(new float[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } }, requiresGrad: true);
        var bias = Tensor.FromArray(new float[] { 10, 20 }, requiresGrad: true);
        var y = a.MatMul(b) + bias;
        Assert.Equal(new float[] { 14, 25, 20, 31 }, y.ToArray());
        y.Sum().Backward();
        Assert.Equal(new float[] { 2, 2 }, bias.Grad!.ToArray());
        Assert.Equal(new float[] { 1, 1, 2, 1, 1, 2 }, a.Grad!.ToArray());
        Assert.Equal(new float[] { 5, 5, 7, 7, 9, 9 }, b.Grad!.ToArray());
    }
}

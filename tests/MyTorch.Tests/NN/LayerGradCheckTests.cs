using System.Globalization;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.NN;

/// <summary>Float64 finite-difference gradient checks of every module, with respect to its input and its parameters.</summary>
public class LayerGradCheckTests : LayerTestBase
{
    // ---- gradient checks (float64 finite differences) ------------------------------------------------------------

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LinearGradCheck(bool bias)
    {
        var layer = new Linear(4, 3, bias, DType.Float64, new Generator(1));
        var x = Randn64(2, [5, 4]);
        var inputs = bias ? new[] { x, layer.W, layer.B! } : new[] { x, layer.W };
        AssertGradCheck(a => layer.Forward(x), inputs);
    }

    [Fact]
    public void LinearConvertedToFloat64GradCheck()
    {
        var layer = new Linear(3, 4, generator: new Generator(3));
        var before = Values(layer.W);
        var w = layer.W;
        layer.To(DType.Float64);
        Assert.Same(w, layer.W);
        Assert.Equal(DType.Float64, layer.W.DType);
        Assert.Equal(DType.Float64, layer.B!.DType);
        Assert.True(layer.W.RequiresGrad && layer.B.RequiresGrad);
        Assert.Equal(before, Values(layer.W));
        var x = Randn64(4, [2, 3, 3]);
        AssertGradCheck(a => layer.Forward(x), x, layer.W, layer.B);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    public void BatchNormTrainingGradCheck(int batch)
    {
        var bn = new BatchNorm1d(3, dtype: DType.Float64);
        Randomize(bn.Gamma, 10, 0.5, 1);
        Randomize(bn.Beta, 11, 0.5, 0);
        var x = Randn64((ulong)(20 + batch), [batch, 3], scale: 2, offset: 1);
        AssertGradCheck(a => bn.Forward(x), x, bn.Gamma, bn.Beta);
    }

    [Fact]
    public void BatchNormBatchOfOneIsFinite()
    {
        // One example: the batch variance is 0, x̂ = 0 / sqrt(eps) = 0, so y = beta and dL/dx = 0 (too degenerate for
        // finite differences: the output does not depend on x at all, and 1/sqrt(eps) = 1e4 amplifies rounding).
        var bn = new BatchNorm1d(3, dtype: DType.Float64);
        Randomize(bn.Beta, 12, 0.5, 0);
        var x = Randn64(13, [1, 3]);
        var y = bn.Forward(x);
        Assert.True(y.AllFinite(), y.ToString());
        AssertClose(Values(bn.Beta), Values(y), 1e-12, "y (batch of one)");
        var delta = Randn64(14, [1, 3], requiresGrad: false);
        y.Backward(delta);
        Assert.True(x.Grad!.AllFinite() && bn.Gamma.Grad!.AllFinite() && bn.Beta.Grad!.AllFinite());
        AssertClose(new double[3], Values(x.Grad), 1e-9, "dx (batch of one)");
        AssertClose(Values(delta), Values(bn.Beta.Grad), 1e-12, "dbeta (batch of one)");
        Assert.True(bn.RunningMean.AllFinite() && bn.RunningVar.AllFinite());
    }

    [Fact]
    public void BatchNormEvalGradCheck()
    {
        var bn = new BatchNorm1d(4, dtype: DType.Float64);
        bn.Forward(Randn64(30, [6, 4], scale: 3, offset: 2, requiresGrad: false));
        bn.Forward(Randn64(31, [6, 4], scale: 0.5, offset: -1, requiresGrad: false));
        bn.Eval();
        Randomize(bn.Gamma, 32, 0.5, 1);
        Randomize(bn.Beta, 33, 0.5, 0);
        var x = Randn64(34, [5, 4]);
        AssertGradCheck(a => bn.Forward(x), x, bn.Gamma, bn.Beta);
    }

    [Theory]
    [InlineData(new[] { 4, 5 })]
    [InlineData(new[] { 2, 3, 5 })]
    public void LayerNormGradCheck(int[] shape)
    {
        var ln = new LayerNorm(5, dtype: DType.Float64);
        Randomize(ln.Weight!, 40, 0.5, 1);
        Randomize(ln.Bias!, 41, 0.5, 0);
        var x = Randn64(42, shape, scale: 2, offset: 0.5);
        AssertGradCheck(a => ln.Forward(x), x, ln.Weight!, ln.Bias!);
    }

    [Fact]
    public void LayerNormWithoutAffineGradCheck()
    {
        var ln = new LayerNorm(6, elementwiseAffine: false, dtype: DType.Float64);
        Assert.Empty(ln.Parameters());
        var x = Randn64(43, [3, 6]);
        AssertGradCheck(a => ln.Forward(a[0]), x);
    }

    [Fact]
    public void ResidualGradCheck()
    {
        var inner = new Linear(4, 4, dtype: DType.Float64, generator: new Generator(50));
        var block = new Residual(inner);
        var x = Randn64(51, [3, 4]);
        var y = block.Forward(x);
        using (Autograd.NoGrad())
            AssertClose(Values(x + inner.Forward(x)), Values(y), 1e-14, "x + f(x)");
        AssertGradCheck(a => block.Forward(x), x, inner.W, inner.B!);
    }

    [Fact]
    public void SequentialGradCheck()
    {
        var gen = new Generator(60);
        var net = new Sequential(
            new Linear(3, 6, generator: gen),
            new BatchNorm1d(6),
            new Tanh(),
            new Residual(new Linear(6, 6, generator: gen)),
            new LayerNorm(6),
            new Linear(6, 2, generator: gen),
            new Sigmoid());
        net.To(DType.Float64);
        var parameters = net.Parameters().ToArray();
        Assert.Equal(10, parameters.Length);
        Assert.All(parameters, p => Assert.Equal(DType.Float64, p.DType));
        Assert.All(net.NamedBuffers(), b => Assert.Equal(DType.Float64, b.Buffer.DType));
        var x = Randn64(61, [5, 3]);
        AssertGradCheck(a => net.Forward(x), [x, .. parameters]);
    }

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void ActivationGradCheck(string name)
    {
        var activation = MakeActivation(name);
        var x = AwayFromZero(70, [3, 4]);
        AssertGradCheck(a => activation.Forward(a[0]), x);
    }

    [Theory]
    [MemberData(nameof(OutputActivationNames))]
    public void OutputActivationGradCheck(string name)
    {
        var activation = MakeOutputActivation(name);
        var x = AwayFromZero(71, [4, 3]);
        AssertGradCheck(a => activation.Forward(a[0]), x);
    }

    [Fact]
    public void DropoutTrainingGradCheck()
    {
        // A fresh generator with the same seed in every call, so every call draws the same mask.
        var x = Randn64(80, [6, 5]);
        AssertGradCheck(a => new Dropout(0.4, new Generator(81)).Forward(a[0]), x);
        var y = Values(new Dropout(0.4, new Generator(81)).Forward(x));
        Assert.Contains(y, v => v == 0);
        Assert.Contains(y, v => v != 0);
    }

    [Fact]
    public void DropoutEvalGradCheck()
    {
        var dropout = new Dropout(0.4, new Generator(82));
        dropout.Eval();
        var x = Randn64(83, [6, 5]);
        Assert.Equal(Values(x), Values(dropout.Forward(x)));
        AssertGradCheck(a => dropout.Forward(a[0]), x);
    }
}

using Xunit;

namespace MyTorch.Tests.AutogradEngine;

/// <summary>
/// In-place changes as PyTorch's autograd sees them: a change of a computed tensor is one more op in its history, so
/// gradients flow through it to the earlier version; every change counts up <see cref="Tensor.Version"/>, shared by views;
/// and a backward pass that needs values changed after an op saved them fails with a message naming the op.
/// </summary>
public class InPlaceTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values, requiresGrad: true);

    [Fact]
    public void EveryChangeCountsUpTheVersion_SharedWithViews()
    {
        var t = Tensor.Zeros([2, 3], DType.Float64);
        var view = t.Reshape(6);
        var detached = t.Detach();
        Assert.Equal(0, t.Version);
        t.Fill(1);
        view.AddInPlace(Tensor.Ones([6], DType.Float64));
        detached.MultiplyInPlace(3);
        t.CopyFrom(Tensor.Ones([2, 3], DType.Float64));
        Assert.Equal(4, t.Version);
        Assert.Equal(4, view.Version);
        Assert.Equal(4, detached.Version);
        Assert.Equal(0, Tensor.Zeros([2]).Version);
    }

    [Fact]
    public void AChangeOfAComputedTensor_IsRecorded_AndTheGradientFlowsThroughIt()
    {
        // PyTorch: y = x * 2; y.mul_(3); y.add_(w, alpha=0.5); y.sum().backward() gives x.grad = 6, w.grad = 0.5.
        var x = Leaf(1, 2);
        var w = Leaf(5, 7);
        var y = x * 2;
        y.MultiplyInPlace(3).AddInPlace(w, 0.5);
        Assert.Equal("add_", y.GradFn!.Name);
        y.Sum().Backward();
        Assert.Equal([6.0, 6.0], x.Grad!.ToArray<double>());
        Assert.Equal([0.5, 0.5], w.Grad!.ToArray<double>());
        Assert.Equal([8.5, 15.5], y.ToArray<double>());
    }

    [Fact]
    public void ConsumersOfTheEarlierVersion_KeepTheirGradient()
    {
        // z used y before the change, u after it: dz/dx goes through the old y only.
        var x = Leaf(1, 2);
        var y = x * 2;
        var z = y + 1;             // add saves nothing, so the later change of y is harmless
        y.MultiplyInPlace(10);
        var u = y * 1;
        (z.Sum() + u.Sum()).Backward();
        Assert.Equal([22.0, 22.0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void FillAndCopyFrom_CutTheGradientToTheOldValues()
    {
        var x = Leaf(1, 2);
        var source = Leaf(3, 4);
        var a = x * 3;
        a.Fill(0);
        var b = x * 5;
        b.CopyFrom(source);
        (a.Sum() + b.Sum()).Backward();
        Assert.Null(x.Grad);
        Assert.Equal([1.0, 1.0], source.Grad!.ToArray<double>());
    }

    [Fact]
    public void ATensorThatNeedsNoGradient_BecomesPartOfTheGraph_WhenAddedAGradientInPlace()
    {
        var x = Leaf(1, 2);
        var accumulator = Tensor.Zeros([2], DType.Float64);
        accumulator.AddInPlace(x * x);
        Assert.True(accumulator.RequiresGrad);
        accumulator.Sum().Backward();
        Assert.Equal([2.0, 4.0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void ChangingAValueAnOpSaved_MakesItsBackwardFail_NamingTheOp()
    {
        // PyTorch: "one of the variables needed for gradient computation has been modified by an inplace operation".
        var x = Leaf(1, 2);
        var y = x.Exp();           // exp's backward reads its output
        y.AddInPlace(Tensor.Ones([2], DType.Float64));
        var error = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("Backward of 'exp'", error.Message);
        Assert.Contains("its output", error.Message);
        Assert.Contains("at version 1, expected version 0", error.Message);

        var a = Leaf(3, 4);
        var h = a * 1;
        var product = h * h;       // mul reads its inputs
        h.MultiplyInPlace(2);
        error = Assert.Throws<InvalidOperationException>(() => product.Sum().Backward());
        Assert.Contains("Backward of 'mul'", error.Message);
        Assert.Contains("input 1", error.Message);
    }

    [Fact]
    public void ChangingALeafParameter_IsNotRecorded_ButAGraphThatSavedItStillRefuses()
    {
        // PyTorch raises at once for a leaf that requires grad; MyTorch changes it unrecorded, and the version check still
        // refuses a backward pass through a graph that saved the old values.
        var w = Leaf(1, 2);
        var x = Tensor.FromArray(new double[] { 3, 4 });
        var loss = (w * x).Sum();
        var saved = (w * w).Sum();
        w.AddInPlace(Tensor.Ones([2], DType.Float64));
        Assert.True(w.IsLeaf);
        Assert.Equal(1, w.Version);
        Assert.Throws<InvalidOperationException>(() => saved.Backward());
        Assert.Throws<InvalidOperationException>(() => loss.Backward());   // mul saved w for x's gradient
    }

    [Fact]
    public void OptimizerSteps_BetweenForwardAndBackward_AreCaught()
    {
        var layer = new MyTorch.NN.Linear(2, 1, dtype: DType.Float64, generator: new Generator(1));
        var optimizer = new MyTorch.Optim.SGD(layer.Parameters(), 0.1);
        var x = Tensor.FromArray(new double[] { 1, 2 }, [1, 2]);
        layer.Forward(x).Sum().Backward();
        var loss = layer.Forward(x).Sum();
        optimizer.Step();
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("modified by an in-place operation", error.Message);
    }

    [Fact]
    public void DoubleBackward_ThroughAnInPlaceChange()
    {
        var x = Leaf(0.5, -1.5);
        var y = x * x;
        y.MultiplyInPlace(3);               // y = 3 x^2
        var dy = Autograd.Grad(y.Sum(), x, createGraph: true)!;   // 6 x
        Assert.Equal([3.0, -9.0], dy.ToArray<double>());
        var d2 = Autograd.Grad(dy.Sum(), x)!;                     // 6
        Assert.Equal([6.0, 6.0], d2.ToArray<double>());
    }
}

using MyTorch;
using Xunit;

namespace MyTorch.Tests.AutogradEngine;

public class AutogradTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values, requiresGrad: true);

    [Fact]
    public void GradientsAccumulateAcrossBackwardCallsUntilCleared()
    {
        var x = Leaf(2);
        (x * x).Sum().Backward();
        (x * x).Sum().Backward();
        Assert.Equal(8, x.Grad!.Item());
        x.Grad = null;
        (3 * x).Sum().Backward();
        Assert.Equal(3, x.Grad!.Item());
    }

    [Fact]
    public void TensorUsedTwiceSumsBothPaths()
    {
        var a = Leaf(3);
        (a * a + a).Sum().Backward();
        Assert.Equal(7, a.Grad!.Item());
    }

    [Fact]
    public void SharedGradientsAreNotAliasedBetweenLeaves()
    {
        var a = Leaf(1, 2);
        var b = Leaf(3, 4);
        (a + b).Sum().Backward();
        a.Grad!.MultiplyInPlace(10);
        Assert.Equal(new double[] { 1, 1 }, b.Grad!.ToArray<double>());
    }

    private sealed class ReturnsSavedTensor(Tensor saved) : AutogradFunction
    {
        protected override Tensor Forward(Tensor[] inputs) => inputs[0] * 1;
        protected override Tensor?[] Backward(Tensor gradOutput) => [saved];
    }

    [Fact]
    public void ALeafNeverKeepsAGradientThatSharesMemoryWithAnotherTensor()
    {
        // A custom backward that returns a tensor made before the pass, and a caller's own output gradient:
        // both must be copied into the leaf's Grad, so an optimizer's in-place update cannot change them.
        var saved = Tensor.FromArray(new double[] { 5, 6 });
        var x = Leaf(1, 2);
        new ReturnsSavedTensor(saved).Apply(x).Sum().Backward();
        x.Grad!.MultiplyInPlace(0);
        Assert.Equal(new double[] { 5, 6 }, saved.ToArray<double>());

        var y = Leaf(1, 2);
        var upstream = Tensor.FromArray(new double[] { 3, 4 });
        y.Reshape(2, 1).Reshape(2).Backward(upstream);
        y.Grad!.MultiplyInPlace(0);
        Assert.Equal(new double[] { 3, 4 }, upstream.ToArray<double>());
    }

    [Fact]
    public void ALeafKeepsAGradientItAloneReceivedWithoutACopy()
    {
        var w = Tensor.Ones([64, 64], DType.Float32, requiresGrad: true);
        var x = Tensor.Ones([8, 64]);
        x.MatMul(w).Sum().Backward();
        w.Grad = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        x.MatMul(w).Sum().Backward();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The product's gradient (16 KB) goes to w.Grad as it is; a copy would add another 16 KB.
        Assert.True(allocated < 2 * 64 * 64 * 4, $"allocated {allocated} bytes");
        Assert.All(w.Grad!.ToArray(), v => Assert.Equal(8, v));
    }

    [Fact]
    public void NonScalarBackwardNeedsAnExplicitGradient()
    {
        var x = Leaf(1, 2, 3);
        var y = x * 2;
        var error = Assert.Throws<TensorShapeException>(() => y.Backward());
        Assert.Contains("(3,)", error.Message, StringComparison.Ordinal);
        y.Backward(Tensor.FromArray(new double[] { 1, 10, 100 }));
        Assert.Equal(new double[] { 2, 20, 200 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void BackwardOnATensorThatDoesNotRequireGradIsAClearError()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 });
        var error = Assert.Throws<InvalidOperationException>(() => (x * 2).Sum().Backward());
        Assert.Contains("does not require grad", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondBackwardThroughAFreedGraphIsAClearError()
    {
        var x = Leaf(2);
        var y = (x * x).Sum();
        y.Backward();
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("second time", error.Message, StringComparison.Ordinal);
        Assert.Contains("retainGraph", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetainedGraphCanBackwardTwice()
    {
        var x = Leaf(2);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(8, x.Grad!.Item());
    }

    [Fact]
    public void AChainOf100000OpsBackpropagatesWithoutStackOverflow()
    {
        var x = Leaf(1);
        var y = x;
        for (int i = 0; i < 100_000; i++) y = y + 1;
        y.Sum().Backward();
        Assert.Equal(1, x.Grad!.Item());
        Assert.Equal(100_001, y.Item());
    }

    [Fact]
    public void NoGradScopeRecordsNothingAndRestoresThePreviousState()
    {
        var x = Leaf(1);
        using (Autograd.NoGrad())
        {
            Assert.False((x * 2).RequiresGrad);
            using (Autograd.EnableGrad()) Assert.True((x * 2).RequiresGrad);
            Assert.False(Autograd.IsGradEnabled);
        }
        Assert.True(Autograd.IsGradEnabled);
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void NoGradIsThreadLocal()
    {
        using (Autograd.NoGrad())
        {
            bool otherThread = false;
            var thread = new Thread(() => otherThread = Autograd.IsGradEnabled);
            thread.Start();
            thread.Join();
            Assert.True(otherThread);
            Assert.False(Autograd.IsGradEnabled);
        }
    }

    [Fact]
    public void DetachSharesValuesButCutsTheGraph()
    {
        var x = Leaf(1, 2);
        var y = x * 3;
        var d = y.Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        Assert.Equal(y.ToArray<double>(), d.ToArray<double>());
        var loss = (y * d).Sum();
        loss.Backward();
        // d is a constant: d(y * d)/dx = 3 * d.
        Assert.Equal(new double[] { 9, 18 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void RequiresGradIsOnlyForFloatLeaves()
    {
        Assert.Throws<InvalidOperationException>(() => Tensor.FromArray(new long[] { 1 }).RequiresGrad = true);
        var y = Leaf(1) * 2;
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
    }

    [Fact]
    public void GradDoesNotTouchDotGrad()
    {
        var x = Leaf(3);
        var y = (x * x * x).Sum();
        var dx = Autograd.Grad(y, x);
        Assert.Equal(27, dx!.Item());
        Assert.Null(x.Grad);
    }

    [Fact]
    public void CreateGraphGivesSecondDerivatives()
    {
        var x = Leaf(2);
        var y = (x * x * x).Sum();
        var dx = Autograd.Grad(y, x, createGraph: true)!;
        Assert.Equal(12, dx.Item());
        var d2x = Autograd.Grad(dx.Sum(), x)!;
        Assert.Equal(12, d2x.Item());
    }

    [Fact]
    public void RetainGradKeepsAnIntermediateGradient()
    {
        var x = Leaf(1, 2);
        var h = (x * 2).RetainGrad();
        (h * h).Sum().Backward();
        Assert.Equal(new double[] { 4, 8 }, h.Grad!.ToArray<double>());
        Assert.Equal(new double[] { 8, 16 }, x.Grad!.ToArray<double>());
    }

    private sealed class Cube : AutogradFunction
    {
        private Tensor? x;
        public bool NeededFirst;

        protected override Tensor Forward(Tensor[] inputs)
        {
            x = inputs[0];
            NeededFirst = NeedsInputGrad(0);
            return x * x * x;
        }

        protected override Tensor?[] Backward(Tensor gradOutput) => [gradOutput * 3 * x! * x!];
    }

    [Fact]
    public void UserDefinedFunctionTakesPartInTheGraph()
    {
        var x = Leaf(2, -1);
        var cube = new Cube();
        var y = cube.Apply(x);
        Assert.True(cube.NeededFirst);
        Assert.Equal("Cube", y.GradFn!.Name);
        (y * 2).Sum().Backward();
        Assert.Equal(new double[] { 24, 6 }, x.Grad!.ToArray<double>());
        var result = GradCheck.Check(inputs => new Cube().Apply(inputs[0]), [Leaf(0.5, -1.5)]);
        Assert.True(result.Passed, result.ToString());
        Assert.Throws<InvalidOperationException>(() => cube.Apply(x));
    }

    private sealed class WrongArity : AutogradFunction
    {
        protected override Tensor Forward(Tensor[] inputs) => inputs[0] * 2;
        protected override Tensor?[] Backward(Tensor gradOutput) => [gradOutput, gradOutput];
    }

    [Fact]
    public void UserFunctionReturningTheWrongNumberOfGradientsIsNamed()
    {
        var y = new WrongArity().Apply(Leaf(1));
        var error = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("WrongArity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnomalyDetectionNamesTheOpThatMadeNaN()
    {
        var x = Leaf(-1);
        using (Autograd.DetectAnomaly())
        {
            var error = Assert.Throws<AnomalyException>(() => x.Log());
            Assert.Equal("log", error.Op);
            Assert.Contains("(1,)", error.Message, StringComparison.Ordinal);
        }
        Assert.True(double.IsNaN(x.Log().Item()));
    }
}

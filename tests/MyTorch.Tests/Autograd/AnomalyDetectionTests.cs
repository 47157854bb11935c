using MyTorch;
using Xunit;

namespace MyTorch.Tests.AutogradEngine;

/// <summary>
/// <see cref="Autograd.DetectAnomaly"/>: the first op whose forward or backward pass produces NaN or infinity throws,
/// naming the op, its input shapes and where it was created.
/// </summary>
public class AnomalyDetectionTests
{
    [Fact]
    public void LogOfANegativeNumberIsCaughtInTheForwardPass()
    {
        var x = Tensor.FromArray(new double[] { 1, -2, 3 }, requiresGrad: true);
        using (Autograd.DetectAnomaly())
        {
            var error = Assert.Throws<AnomalyException>(() => x.Log());
            Assert.Equal("log", error.Op);
            Assert.Contains("the forward pass of 'log' (input shapes (3,)) produced NaN or infinity", error.Message, StringComparison.Ordinal);
            Assert.Contains("The op was created at:", error.Message, StringComparison.Ordinal);
            Assert.Contains(nameof(LogOfANegativeNumberIsCaughtInTheForwardPass), error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DivisionByZeroIsCaughtInTheForwardPass()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [2, 2], requiresGrad: true);
        var b = Tensor.FromArray(new double[] { 1, 0 });
        using (Autograd.DetectAnomaly())
        {
            var error = Assert.Throws<AnomalyException>(() => a / b);
            Assert.Equal("div", error.Op);
            Assert.Contains("'div' (input shapes (2, 2), (2,))", error.Message, StringComparison.Ordinal);
            // 0 / 0 is NaN rather than infinity: caught the same way, also without any input requiring grad.
            var nan = Assert.Throws<AnomalyException>(() => Tensor.Zeros([3]) / Tensor.Zeros([3]));
            Assert.Equal("div", nan.Op);
        }
    }

    [Fact]
    public void NaNProducedInTheBackwardPassNamesTheOpAndWhereItWasCreated()
    {
        // sqrt(0) = 0 is fine going forward; going back, d sqrt(x)/dx = 1 / (2 sqrt(x)) meets 0 / 0 because the
        // gradient arriving through "* 0" is 0: NaN, produced by sqrt's backward.
        var x = Tensor.FromArray(new double[] { 0, 4 }, requiresGrad: true);
        using (Autograd.DetectAnomaly())
        {
            var y = (x.Sqrt() * Tensor.FromArray(new double[] { 0, 1 })).Sum();
            Assert.Equal(2, y.Item());
            var error = Assert.Throws<AnomalyException>(() => y.Backward());
            Assert.Equal("sqrt", error.Op);
            Assert.Contains("the backward pass of 'sqrt' (input shapes (2,)) produced NaN or infinity", error.Message, StringComparison.Ordinal);
            Assert.Contains("The op was created at:", error.Message, StringComparison.Ordinal);
            Assert.Contains(nameof(NaNProducedInTheBackwardPassNamesTheOpAndWhereItWasCreated), error.Message, StringComparison.Ordinal);
        }
    }

    private sealed class BrokenBackward : AutogradFunction
    {
        public override string Name => "broken_backward";
        protected override Tensor Forward(Tensor[] inputs) => inputs[0] * 2;
        protected override Tensor?[] Backward(Tensor gradOutput) => [gradOutput * double.NaN];
    }

    [Fact]
    public void AUserFunctionWhoseBackwardReturnsNaNIsNamed()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true);
        using (Autograd.DetectAnomaly())
        {
            var y = new BrokenBackward().Apply(x).Sum();
            var error = Assert.Throws<AnomalyException>(() => y.Backward());
            Assert.Equal("broken_backward", error.Op);
            Assert.Contains("backward pass of 'broken_backward'", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WithoutTheScopeNaNPropagatesSilentlyAndScopesNest()
    {
        var x = Tensor.FromArray(new double[] { -1 }, requiresGrad: true);
        Assert.True(double.IsNaN(x.Log().Item()));
        using (Autograd.DetectAnomaly())
        {
            using (Autograd.DetectAnomaly()) Assert.Throws<AnomalyException>(() => x.Log());
            // Closing the inner scope restores the outer one, which is still on.
            Assert.Throws<AnomalyException>(() => x.Log());
        }
        Assert.True(double.IsNaN(x.Log().Item()));
    }
}

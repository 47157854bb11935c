using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Optim;

/// <summary>ClipGradNorm by hand: the global norm over every gradient, scaled by maxNorm / (norm + 1e-6) only when above maxNorm.</summary>
public class GradientClippingTests
{
    private static Tensor WithGrad(double[] grad)
    {
        var p = Tensor.Zeros([grad.Length], DType.Float64, requiresGrad: true);
        p.Grad = Tensor.FromArray(grad);
        return p;
    }

    [Fact]
    public void ScalesEveryGradientByTheGlobalNorm()
    {
        // Global norm of [3, 4] and [12] is sqrt(9 + 16 + 144) = 13.
        var a = WithGrad([3, 4]);
        var b = WithGrad([12]);
        double norm = GradientClipping.ClipGradNorm([a, b], maxNorm: 6.5);
        Assert.Equal(13, norm, 14);
        double coefficient = 6.5 / (13 + 1e-6);
        Assert.Equal([3 * coefficient, 4 * coefficient], a.Grad!.ToArray<double>());
        Assert.Equal([12 * coefficient], b.Grad!.ToArray<double>());
        // The clipped norm is maxNorm, up to the 1e-6 guard.
        double clipped = Math.Sqrt(a.Grad!.ToArray<double>().Concat(b.Grad!.ToArray<double>()).Sum(v => v * v));
        Assert.Equal(6.5, clipped, 6);
    }

    [Fact]
    public void LeavesGradientsBelowTheLimitUnchanged()
    {
        var a = WithGrad([3, 4]);
        Assert.Equal(5, GradientClipping.ClipGradNorm([a], maxNorm: 5.1), 14);
        Assert.Equal([3.0, 4.0], a.Grad!.ToArray<double>());
    }

    [Fact]
    public void SkipsParametersWithoutGradients()
    {
        var a = WithGrad([0, 2]);
        var none = Tensor.Zeros([3], requiresGrad: true);
        Assert.Equal(2, GradientClipping.ClipGradNorm([a, none], maxNorm: 1), 14);
        Assert.Null(none.Grad);
        Assert.Equal(0, GradientClipping.ClipGradNorm([none], maxNorm: 1));
        Assert.Equal(0, GradientClipping.ClipGradNorm([], maxNorm: 1));
    }

    [Fact]
    public void Float32NormIsAccumulatedAccurately()
    {
        // 100000 elements of 0.1f: a float running sum would drift; the norm is sqrt(1e5) * 0.1f.
        var p = Tensor.Zeros([100_000], requiresGrad: true);
        p.Grad = Tensor.Full([100_000], 0.1);
        double norm = GradientClipping.ClipGradNorm([p], maxNorm: 1);
        Assert.Equal(Math.Sqrt(100_000) * (double)0.1f, norm, 9);
        Assert.Equal(1.0, Math.Sqrt(p.Grad.ToArray<double>().Sum(v => v * v)), 5);
    }

    [Fact]
    public void NonFiniteNormThrowsOnlyWhenAsked()
    {
        var a = WithGrad([double.PositiveInfinity, 1]);
        var error = Assert.Throws<ArgumentException>(() => GradientClipping.ClipGradNorm([a], 1, errorIfNonfinite: true));
        Assert.Contains("total norm of the gradients is Infinity", error.Message, StringComparison.Ordinal);
        Assert.Equal([double.PositiveInfinity, 1.0], a.Grad!.ToArray<double>());
        // As in PyTorch, an infinite norm scales by maxNorm / inf = 0 (inf * 0 is NaN).
        Assert.Equal(double.PositiveInfinity, GradientClipping.ClipGradNorm([a], 1));
        Assert.True(double.IsNaN(a.Grad!.At(0)));
        Assert.Equal(0.0, a.Grad!.At(1));
    }
}

using MyTorch;
using Xunit;

namespace MyTorch.Tests.AutogradEngine;

/// <summary>
/// Values and gradients at the edges that PyTorch 1.13 defines and a naive implementation gets wrong: 0-d tensors, empty tensors,
/// gradients selected by masks next to infinite gradients, tanh near 0, division backward underflow, and the
/// decided behaviours (Sign's gradient, Clamp with min &gt; max, LogSoftmax with +inf, ties of Max()). The expected
/// numbers are PyTorch 1.13's (docs/tensors-and-autograd.md, "Edge cases").
/// </summary>
public class EdgeCaseTests
{
    private static Tensor Vector(DType dtype, params double[] values) =>
        dtype == DType.Float64
            ? Tensor.FromArray(values, requiresGrad: true)
            : Tensor.FromArray(Array.ConvertAll(values, v => (float)v), requiresGrad: true);

    private static Tensor Scalar(DType dtype, double value) => Tensor.Scalar(value, dtype, requiresGrad: true);

    private static double[] Values(Tensor t) => t.ToArray<double>();

    private static double[] GradOf(Tensor x) => x.Grad!.ToArray<double>();

    // ---- 0-d tensors count as one dimension of size 1.

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void ScalarSoftmaxLogSoftmaxLogSumExpAcceptDimZeroAndMinusOne(DType dtype)
    {
        var x = Scalar(dtype, 2);
        var softmax = x.Softmax(-1);
        Assert.Empty(softmax.Shape.ToArray());
        Assert.Equal(1.0, softmax.Item());
        softmax.Backward();
        Assert.Empty(x.Grad!.Shape.ToArray());
        Assert.Equal(0.0, x.Grad!.Item());

        x = Scalar(dtype, 2);
        var logSoftmax = x.LogSoftmax(0);
        Assert.Empty(logSoftmax.Shape.ToArray());
        Assert.Equal(0.0, logSoftmax.Item());
        logSoftmax.Backward();
        Assert.Equal(0.0, x.Grad!.Item());

        x = Scalar(dtype, 2);
        var lse = x.LogSumExp(0);
        Assert.Empty(lse.Shape.ToArray());
        Assert.Equal(2.0, lse.Item());
        lse.Backward();
        Assert.Empty(x.Grad!.Shape.ToArray());
        Assert.Equal(1.0, x.Grad!.Item());
        Assert.Equal(2.0, Scalar(dtype, 2).LogSumExp(-1).Item());
    }

    [Fact]
    public void ScalarVarIsNaNUnbiasedAndZeroBiased()
    {
        Assert.True(double.IsNaN(Scalar(DType.Float64, 2).Var(0).Item()));
        Assert.True(double.IsNaN(Scalar(DType.Float64, 2).Var(-1).Item()));
        Assert.True(double.IsNaN(Scalar(DType.Float64, 2).Var().Item()));
        var x = Scalar(DType.Float64, 2);
        var biased = x.Var(0, unbiased: false);
        Assert.Empty(biased.Shape.ToArray());
        Assert.Equal(0.0, biased.Item());
        biased.Backward();
        Assert.Equal(0.0, x.Grad!.Item());
    }

    [Fact]
    public void ScalarDimensionOutOfRangeStillThrows()
    {
        var error = Assert.Throws<TensorShapeException>(() => Scalar(DType.Float64, 2).Softmax(1));
        Assert.Contains("expected -1 to 0", error.Message, StringComparison.Ordinal);
        Assert.Throws<TensorShapeException>(() => Scalar(DType.Float64, 2).LogSumExp(-2));
    }

    // ---- Empty tensors.

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void ReductionsOverAnEmptyDimension(DType dtype)
    {
        var x = Tensor.Zeros([3, 0], dtype, requiresGrad: true);
        var lse = x.LogSumExp(1);
        Assert.Equal([3], lse.Shape.ToArray());
        Assert.All(Values(lse), v => Assert.Equal(double.NegativeInfinity, v));
        lse.Sum().Backward();
        Assert.Equal([3, 0], x.Grad!.Shape.ToArray());

        Assert.Equal([3, 0], x.Softmax(1).Shape.ToArray());
        Assert.Equal([3, 0], x.LogSoftmax(1).Shape.ToArray());
        Assert.Equal([0], x.LogSumExp(0).Shape.ToArray());

        Assert.True(double.IsNaN(x.Mean().Item()));
        Assert.True(double.IsNaN(Tensor.Zeros([0], dtype).Mean(0).Item()));
        Assert.True(double.IsNaN(Tensor.Zeros([0], dtype).Var(0).Item()));
        Assert.Throws<TensorShapeException>(() => x.Max(1));
        Assert.Throws<TensorShapeException>(() => Tensor.Zeros([0], dtype).Max());
        Assert.Equal(0.0, x.Sum().Item());
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void MatMulWithAZeroInnerOrBatchSize(DType dtype)
    {
        var a = Tensor.Zeros([2, 0], dtype, requiresGrad: true);
        var b = Tensor.Zeros([0, 3], dtype, requiresGrad: true);
        var c = Tensor.MatMul(a, b);
        Assert.Equal([2, 3], c.Shape.ToArray());
        Assert.All(Values(c), v => Assert.Equal(0.0, v));
        c.Sum().Backward();
        Assert.Equal([2, 0], a.Grad!.Shape.ToArray());
        Assert.Equal([0, 3], b.Grad!.Shape.ToArray());

        var batched = Tensor.MatMul(Tensor.Full([4, 2, 0], 1, dtype), Tensor.Full([0, 3], 1, dtype));
        Assert.Equal([4, 2, 3], batched.Shape.ToArray());
        Assert.All(Values(batched), v => Assert.Equal(0.0, v));

        Assert.Equal([0, 2, 4], Tensor.MatMul(Tensor.Zeros([0, 2, 3], dtype), Tensor.Zeros([0, 3, 4], dtype)).Shape.ToArray());
        Assert.Equal([0, 4], Tensor.MatMul(Tensor.Zeros([0, 3], dtype), Tensor.Zeros([3, 4], dtype)).Shape.ToArray());
        var vector = Tensor.MatMul(Tensor.Zeros([2, 0], dtype), Tensor.Zeros([0], dtype));
        Assert.Equal([2], vector.Shape.ToArray());
        Assert.All(Values(vector), v => Assert.Equal(0.0, v));
    }

    // ---- Masked gradients select instead of multiplying (an infinite gradient times a 0 mask is NaN).

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void ClampSelectsTheGradient(DType dtype)
    {
        // sqrt'(0) is inf; where the clamp cut x off, PyTorch's gradient is an exact 0.
        var x = Vector(dtype, 2, 0, 3);
        x.Clamp(max: 0).Sqrt().Sum().Backward();
        Assert.Equal([0, double.PositiveInfinity, 0], GradOf(x));

        x = Vector(dtype, -1, 0, 2);
        x.Clamp(min: 0).Sqrt().Sum().Backward();
        Assert.Equal([0, double.PositiveInfinity, 1 / (2 * Math.Sqrt(2))], GradOf(x), new Tolerance(1e-6));
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void MaxAndMinOverADimensionSelectTheGradient(DType dtype)
    {
        var x = Vector(dtype, 0, -1);
        x.Max(0).Sqrt().Backward();
        Assert.Equal([double.PositiveInfinity, 0], GradOf(x));

        x = Vector(dtype, 0, 1);
        x.Min(0).Sqrt().Backward();
        Assert.Equal([double.PositiveInfinity, 0], GradOf(x));
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void MaximumAndMinimumSelectTheGradient(DType dtype)
    {
        var x = Vector(dtype, -1, 0, 2);
        var zero = Scalar(dtype, 0);
        Tensor.Maximum(x, zero).Sqrt().Sum().Backward();
        Assert.Equal([0, double.PositiveInfinity, 1 / (2 * Math.Sqrt(2))], GradOf(x), new Tolerance(1e-6));
        Assert.Equal(double.PositiveInfinity, zero.Grad!.Item());

        var a = Vector(dtype, 1, 0, 2);
        var b = Vector(dtype, 1, 0, 3);
        Tensor.Minimum(a, b).Sqrt().Sum().Backward();
        Assert.Equal([0.25, double.PositiveInfinity, 1 / (2 * Math.Sqrt(2))], GradOf(a), new Tolerance(1e-6));
        Assert.Equal([0.25, double.PositiveInfinity, 0], GradOf(b), new Tolerance(1e-6));
    }

    [Fact]
    public void MaximumWithNaNGivesBothInputsTheGradient()
    {
        // PyTorch zeroes only the strict loser, so a NaN comparison passes g to both sides.
        var a = Vector(DType.Float64, double.NaN, 1);
        var b = Vector(DType.Float64, 1, 2);
        Tensor.Maximum(a, b).Sum().Backward();
        Assert.Equal([1, 0], GradOf(a));
        Assert.Equal([1, 1], GradOf(b));
    }

    // ---- Tanh near 0.

    [Fact]
    public void TanhIsExactAtZeroOddAndAccurateForTinyInputs()
    {
        double[] inputs = [0, -0.0, 1e-12, -1e-12, 1e-8, 1e-4, 0.3, -0.3, 20, -20, double.PositiveInfinity];
        var y64 = Values(Tensor.FromArray(inputs).Tanh());
        for (int i = 0; i < inputs.Length; i++)
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Tanh(inputs[i])), BitConverter.DoubleToInt64Bits(y64[i]));
        Assert.True(double.IsPositive(y64[0]) && y64[0] == 0);
        Assert.True(double.IsNegative(y64[1]) && y64[1] == 0);
        Assert.Equal(1e-12, y64[2]);

        var y32 = Tensor.FromArray(Array.ConvertAll(inputs, v => (float)v)).Tanh().ToArray<float>();
        Assert.True(float.IsPositive(y32[0]) && y32[0] == 0);
        Assert.True(float.IsNegative(y32[1]) && y32[1] == 0);
        Assert.Equal(1e-12f, y32[2]);
        Assert.Equal(-1e-12f, y32[3]);
        Assert.Equal(1e-8f, y32[4]);
        for (int i = 0; i < inputs.Length; i++) Assert.Equal((float)Math.Tanh((float)inputs[i]), y32[i]);
    }

    [Fact]
    public void TanhIsOddAndWithinAFewUlpsEverywhere()
    {
        var sweep = Enumerable.Range(-3000, 6001).Select(i => i * 1e-3 + i * 1e-7).ToArray();
        var y64 = Values(Tensor.FromArray(sweep).Tanh());
        var minus64 = Values(Tensor.FromArray(Array.ConvertAll(sweep, v => -v)).Tanh());
        var x32 = Array.ConvertAll(sweep, v => (float)v);
        var y32 = Tensor.FromArray(x32).Tanh().ToArray<float>();
        var minus32 = Tensor.FromArray(Array.ConvertAll(x32, v => -v)).Tanh().ToArray<float>();
        for (int i = 0; i < sweep.Length; i++)
        {
            Assert.Equal(-y64[i], minus64[i]);
            Assert.Equal(-y32[i], minus32[i]);
            double exact = Math.Tanh(sweep[i]), exact32 = Math.Tanh(x32[i]);
            Assert.True(Math.Abs(y64[i] - exact) <= 4 * (Math.BitIncrement(Math.Abs(exact)) - Math.Abs(exact)) + 1e-300,
                $"tanh({sweep[i]:R}) = {y64[i]:R}, exact {exact:R}");
            Assert.True(Math.Abs(y32[i] - exact32) <= 4 * (MathF.BitIncrement(MathF.Abs((float)exact32)) - MathF.Abs((float)exact32)) + 1e-40,
                $"float tanh({x32[i]:R}) = {y32[i]:R}, exact {exact32:R}");
        }
    }

    // ---- Division backward.

    [Fact]
    public void DivisionGradientOfTheDenominatorDoesNotUnderflow()
    {
        // PyTorch computes -g * ((a / b) / b): 1e-170 / 1e-170 is 1, so the gradient is -1e170, where
        // -g * a / (b * b) gives -inf because b * b underflows to 0.
        var a = Vector(DType.Float64, 1e-170, 1e-300);
        var b = Vector(DType.Float64, 1e-170, 1e-10);
        (a / b).Sum().Backward();
        Assert.Equal([1 / 1e-170, 1 / 1e-10], GradOf(a));
        Assert.Equal([-(1e-170 / 1e-170 / 1e-170), -(1e-300 / 1e-10 / 1e-10)], GradOf(b));
        Assert.True(double.IsFinite(GradOf(b)[0]));
    }

    // ---- Decided behaviours, matching PyTorch.

    [Fact]
    public void SignHasAZeroGradient()
    {
        var x = Vector(DType.Float64, -2, 0, 3);
        var y = x.Sign();
        Assert.True(y.RequiresGrad);
        y.Sum().Backward();
        Assert.Equal([0, 0, 0], GradOf(x));
    }

    [Fact]
    public void ClampWithMinAboveMaxGivesMax()
    {
        var x = Vector(DType.Float64, 1, 2, 3);
        var y = x.Clamp(min: 3, max: 1);
        Assert.Equal([1, 1, 1], Values(y));
        y.Sum().Backward();
        Assert.Equal([0, 0, 0], GradOf(x));

        x = Vector(DType.Float64, 1, 2, 3);
        x.Clamp(min: 2, max: 2).Sum().Backward();
        Assert.Equal([0, 1, 0], GradOf(x));
    }

    [Fact]
    public void LogSoftmaxWithPositiveInfinityIsNaN()
    {
        var x = Vector(DType.Float64, 1, double.PositiveInfinity, 3);
        var y = x.LogSoftmax(0);
        Assert.All(Values(y), v => Assert.True(double.IsNaN(v)));
        y.Backward(Tensor.FromArray(new double[] { 1, 2, 3 }));
        Assert.All(GradOf(x), v => Assert.True(double.IsNaN(v)));
        Assert.All(Values(Vector(DType.Float64, double.NegativeInfinity, double.NegativeInfinity).LogSoftmax(0)),
            v => Assert.True(double.IsNaN(v)));
        Assert.All(Values(Vector(DType.Float64, 1, double.PositiveInfinity).Softmax(0)), v => Assert.True(double.IsNaN(v)));
        Assert.All(Values(Vector(DType.Float64, double.NegativeInfinity, double.NegativeInfinity).Softmax(0)),
            v => Assert.True(double.IsNaN(v)));
        // LogSumExp keeps its infinite results.
        Assert.Equal(double.PositiveInfinity, Vector(DType.Float64, 1, double.PositiveInfinity).LogSumExp(0).Item());
        Assert.Equal(double.NegativeInfinity, Vector(DType.Float64, double.NegativeInfinity, double.NegativeInfinity).LogSumExp(0).Item());
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void MaxAndMinOfAllElementsSplitTheGradientOfTies(DType dtype)
    {
        var x = Vector(dtype, 3, 1, 3, 3);
        x.Max().Backward();
        Assert.Equal([1.0 / 3, 0, 1.0 / 3, 1.0 / 3], GradOf(x), new Tolerance(1e-7));

        x = Vector(dtype, 3, 1, 1);
        x.Min().Backward(Tensor.Scalar(4, dtype));
        Assert.Equal([0, 2, 2], GradOf(x));

        // Max over a dimension still gives the first one everything, as PyTorch does.
        x = Vector(dtype, 3, 1, 3, 3);
        x.Max(0).Backward();
        Assert.Equal([1, 0, 0, 0], GradOf(x));

        // A NaN result is shared by the NaNs; an infinite gradient stays 0 at the others.
        x = Vector(dtype, double.NaN, 1, double.NaN);
        x.Max().Backward();
        Assert.Equal([0.5, 0, 0.5], GradOf(x));
        x = Vector(dtype, 0, -1, 0);
        x.Max().Sqrt().Backward();
        Assert.Equal([double.PositiveInfinity, 0, double.PositiveInfinity], GradOf(x));
    }

    // ---- The selecting backward passes stay differentiable (createGraph).

    [Fact]
    public void SelectedGradientsHaveSecondDerivatives()
    {
        // d/dx of (x^2 clamped to at most 4) is 2x inside, 0 outside; its derivative is 2 inside, 0 outside.
        var x = Vector(DType.Float64, -3, 1, 1.5, 2.5);
        var dy = Autograd.Grad((x * x).Clamp(max: 4).Sum(), x, createGraph: true)!;
        Assert.Equal([0, 2, 3, 0], Values(dy));
        dy.Sum().Backward();
        Assert.Equal([0, 2, 2, 0], GradOf(x));

        // max() of x^2 with a tie between -2 and 2: each gets 2x / 2, and the second derivative 2 / 2.
        x = Vector(DType.Float64, -2, 1, 2);
        dy = Autograd.Grad((x * x).Max(), x, createGraph: true)!;
        Assert.Equal([-2, 0, 2], Values(dy));
        dy.Sum().Backward();
        Assert.Equal([1, 0, 1], GradOf(x));

        // maximum(x^2, 1): 2x where x^2 > 1, x at the tie x = 1, 0 below.
        x = Vector(DType.Float64, 0.5, 1, 3);
        dy = Autograd.Grad(Tensor.Maximum(x * x, Tensor.Scalar(1.0, DType.Float64)).Sum(), x, createGraph: true)!;
        Assert.Equal([0, 1, 6], Values(dy));
        dy.Sum().Backward();
        Assert.Equal([0, 1, 2], GradOf(x));
    }

    private sealed class Tolerance(double relative) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) =>
            x == y || Math.Abs(x - y) <= relative * Math.Max(Math.Abs(x), Math.Abs(y));

        public int GetHashCode(double obj) => 0;
    }
}

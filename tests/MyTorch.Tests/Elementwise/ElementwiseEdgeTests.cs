using MyTorch.Compiled;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Elementwise;

/// <summary>
/// The element-wise ops beyond the PyTorch fixtures: exact edge values, integer inputs of the value tests, any/all over
/// dimensions, error messages, and a model built from the new ops that trains on the recorded step bit for bit as on
/// the graph, allocating nothing in steady state.
/// </summary>
public class ElementwiseEdgeTests
{
    private static double[] Values(Tensor t) => t.ToArray<double>();

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ExactEdgeValues(DType dtype)
    {
        Tensor T(params double[] v) => Tensor.FromArray(v).To(dtype);
        double tiny = Math.ScaleB(1, -100); // exact in float32 too
        Assert.Equal([0, 2, 2, -0.0, -2, 4], Values(T(0.5, 1.5, 2.5, -0.5, -2.5, 3.5).Round()));
        Assert.True(double.IsNegative(Values(T(-0.4).Round())[0]));
        Assert.True(double.IsNegative(Values(T(-0.0).Floor())[0]));
        Assert.True(double.IsNegative(Values(T(-0.5).Ceil())[0]));
        Assert.Equal([double.NegativeInfinity, -0.0, tiny], Values(T(-1, -0.0, tiny).Log1p()));
        Assert.True(double.IsNegative(Values(T(-0.0).Log1p())[0]));
        Assert.Equal([-1, tiny, double.PositiveInfinity], Values(T(double.NegativeInfinity, tiny, 1000).Expm1()));
        Assert.Equal([double.PositiveInfinity, double.NegativeInfinity, 0.5], Values(T(0, -0.0, 4).Rsqrt()));
        Assert.Equal([1, -1, 0, 1], Values(T(double.PositiveInfinity, double.NegativeInfinity, 0, 10).Erf()));
        Assert.True(double.IsNaN(Values(T(double.NaN).Erf())[0]));
        Assert.True(double.IsNaN(Values(T(double.PositiveInfinity).Sin())[0]));
    }

    [Fact]
    public void RoundingOps_HaveZeroGradients_EvenForAnInfiniteUpstreamGradient()
    {
        foreach (var op in new Func<Tensor, Tensor>[] { x => x.Floor(), x => x.Ceil(), x => x.Round(), x => x.Sign() })
        {
            var x = Tensor.FromArray(new[] { -1.3, 0.2, 2.7 }, requiresGrad: true);
            var g = Tensor.FromArray(new[] { double.PositiveInfinity, double.NaN, 1.0 });
            Assert.Equal([0.0, 0, 0], Values(Autograd.Grad(op(x), x, g)!));
            Assert.Equal([0.0, 0, 0], Values(Autograd.Grad(op(x), x, g, createGraph: true)!));
        }
    }

    [Fact]
    public void ValueTests_WorkOnEveryDType_AndAreNotRecorded()
    {
        var x = Tensor.FromArray(new[] { 1.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0 }, requiresGrad: true);
        Assert.Equal([0.0, 1, 0, 0, 0], Values(x.IsNan()));
        Assert.Equal([0.0, 0, 1, 1, 0], Values(x.IsInf()));
        Assert.Equal([1.0, 0, 0, 0, 1], Values(x.IsFinite()));
        Assert.False(x.IsNan().RequiresGrad);
        var integers = Tensor.FromArray(new long[] { 3, -4 });
        Assert.Equal(DType.Int64, integers.IsNan().DType);
        Assert.Equal([0L, 0], integers.IsNan().ToArray<long>());
        Assert.Equal([1L, 1], integers.IsFinite().ToArray<long>());
        Assert.Equal([0, 3], Tensor.Zeros([0, 3]).IsNan().Shape.ToArray());
    }

    [Fact]
    public void AnyAndAll_OverEverythingAndOverADimension()
    {
        var x = Tensor.FromArray(new double[,] { { 0, 0, 0 }, { 0, double.NaN, 2 } });
        Assert.Equal(1.0, x.Any().Item());
        Assert.Equal(0.0, x.All().Item());
        Assert.Equal(0, x.Any().Rank);
        Assert.Equal([0.0, 1, 1], Values(x.Any(0)));
        Assert.Equal([0.0, 1], Values(x.Any(-1)));
        Assert.Equal([2, 1], x.All(1, keepDim: true).Shape.ToArray());
        Assert.Equal([0.0, 0], Values(x.All(1)));
        Assert.Equal(0.0, Tensor.Zeros([0, 3]).Any().Item());
        Assert.Equal(1.0, Tensor.Zeros([0, 3]).All().Item());
        Assert.Equal([1.0, 1, 1], Values(Tensor.Zeros([0, 3]).All(0)));
        Assert.Equal([0], Tensor.Zeros([0, 3]).Any(1).Shape.ToArray());
        Assert.Equal(1.0, Tensor.Scalar(-2.0).All(0).Item());
        Assert.Equal([1L], Tensor.FromArray(new long[] { 0, 5 }).Any().ToArray<long>());
        var error = Assert.Throws<TensorShapeException>(() => x.Any(2));
        Assert.Contains("any", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PowWithATensorExponent_Broadcasts_AndMatchesTheScalarExponent()
    {
        var x = Tensor.Uniform([3, 4], 0.5, 2, new Generator(1), DType.Float64);
        Assert.Equal(Values(x.Pow(1.7)), Values(x.Pow(Tensor.Scalar(1.7, DType.Float64))));
        Assert.Equal([2, 3, 4], Tensor.Ones([3, 4], DType.Float64).Pow(Tensor.Ones([2, 1, 4], DType.Float64)).Shape.ToArray());
        Assert.Equal([1.0, 2.5, 6.25], Values(Tensor.Pow(2.5, Tensor.FromArray(new[] { 0.0, 1, 2 }))));
        var error = Assert.Throws<TensorShapeException>(() => Tensor.Ones([3, 4]).Pow(Tensor.Ones([5])));
        Assert.Contains("(3, 4)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClampWithTensorBounds_ChecksItsArguments()
    {
        var x = Tensor.Ones([2, 3]);
        Assert.Contains("clamp", Assert.Throws<TensorShapeException>(() => x.Clamp((Tensor?)null, null)).Message, StringComparison.Ordinal);
        Assert.Contains("clamp", Assert.Throws<TensorShapeException>(() => x.Clamp(Tensor.Zeros([2, 3], DType.Float64), null)).Message,
            StringComparison.Ordinal);
        Assert.Contains("clamp", Assert.Throws<TensorShapeException>(() => x.Clamp(Tensor.Zeros([4]), null)).Message, StringComparison.Ordinal);
        Assert.Contains("clamp", Assert.Throws<TensorShapeException>(() => Tensor.FromArray(new long[] { 1 }).Clamp(Tensor.Zeros([1]), null)).Message,
            StringComparison.Ordinal);
        var empty = Tensor.Zeros([0, 3]).RequireGrad();
        var bound = Tensor.Zeros([3]).RequireGrad();
        var clamped = empty.Clamp(bound, null);
        Assert.Equal([0, 3], clamped.Shape.ToArray());
        var grads = Autograd.Grad([clamped], [empty, bound], [Tensor.Zeros([0, 3])]);
        Assert.Equal([0, 3], grads[0]!.Shape.ToArray());
        Assert.Equal([0.0, 0, 0], Values(grads[1]!));
        var power = Tensor.Scalar(2.0, DType.Float64).Pow(Tensor.Scalar(3.0, DType.Float64));
        Assert.Equal(0, power.Rank);
        Assert.Equal(8.0, power.Item());
        // min > max gives max, as PyTorch.
        Assert.Equal([-1.0, -1], Values(Tensor.FromArray(new[] { -5.0, 5 }).Clamp(Tensor.Scalar(1.0, DType.Float64), Tensor.Scalar(-1.0, DType.Float64))));
    }

    /// <summary>A hidden layer of the new element-wise ops, with tensor bounds and exponents fixed at construction.</summary>
    private sealed class ElementwiseMix(DType dtype) : Module
    {
        private readonly Tensor low = Tensor.Full([8], -0.8, dtype);
        private readonly Tensor high = Tensor.Full([1], 1.2, dtype);
        private readonly Tensor exponent = Tensor.Uniform([8], 0.5, 2, new Generator(3), dtype);

        public override Tensor Forward(Tensor input)
        {
            var bounded = Tensor.Clamp(input, low, high);
            var smooth = input.Sin() + 0.5 * input.Cos() + input.Erf() + input.Abs().Log1p() + (input * input + 1).Rsqrt()
                + (0.3 * bounded).Expm1() + (input.Abs() + 0.5).Pow(exponent) + Tensor.Pow(1.5, bounded) + 0.1 * input.Round();
            return Tensor.Where(smooth.IsFinite(), smooth, Tensor.ZerosLike(smooth)) * (1 - 0.5 * input.Any());
        }
    }

    private static Sequential Model(DType dtype) =>
        new(new Linear(6, 8, dtype: dtype, generator: new Generator(1)), new ElementwiseMix(dtype), new Linear(8, 4, dtype: dtype, generator: new Generator(2)));

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void AModelOfTheNewOps_TrainsOnTheRecordedStep_BitForBit_WithoutAllocating(DType dtype)
    {
        ReplayChecks.TrainsLikeTheGraph(Model, dtype, [6], 4, [16, 16, 16, 16, 16, 16, 16, 16], inputScale: 2);
        if (dtype == DType.Float32) ReplayChecks.SteadyStateAllocatesNothing(Model(dtype), [6], 4);
    }
}

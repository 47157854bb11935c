using MyTorch;
using Xunit;

namespace MyTorch.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void CreationFunctionsHaveTheRequestedShapeDTypeAndValues()
    {
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0 }, Tensor.Zeros([2, 3]).ToArray());
        Assert.Equal(DType.Float32, Tensor.Zeros([2, 3]).DType);
        Assert.Equal(DType.Float64, Tensor.Ones([2], DType.Float64).DType);
        Assert.Equal(new double[] { 7, 7 }, Tensor.Full([2], 7, DType.Float64).ToArray<double>());
        Assert.Equal(new float[] { 0, 1, 2, 3 }, Tensor.Arange(4).ToArray());
        Assert.Equal(new float[] { 1, 1.5f, 2, 2.5f }, Tensor.Arange(1, 3, 0.5).ToArray());
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0 }, Tensor.Eye(2, 3).ToArray());
        var scalar = Tensor.Scalar(4.5);
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(4.5, scalar.Item());
        var matrix = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal(new[] { 2, 2 }, matrix.Shape.ToArray());
        Assert.Equal(3, matrix.At(1, 0));
    }

    [Fact]
    public void FromArrayCopiesItsInput()
    {
        var data = new float[] { 1, 2 };
        var t = Tensor.FromArray(data);
        data[0] = 100;
        Assert.Equal(1, t.At(0));
    }

    [Fact]
    public void FromArrayWithAWrongLengthNamesBothNumbers()
    {
        var error = Assert.Throws<TensorShapeException>(() => Tensor.FromArray(new float[5], [2, 3]));
        Assert.Contains("5", error.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", error.Message, StringComparison.Ordinal);
        Assert.Contains("6", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameSeedGivesTheSameNumbers()
    {
        var a = Tensor.Randn([100], new Generator(42));
        var b = Tensor.Randn([100], new Generator(42));
        var c = Tensor.Randn([100], new Generator(43));
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(a.ToArray(), c.ToArray());
        Assert.Equal(Tensor.Rand([10], new Generator(7)).ToArray(), Tensor.Rand([10], new Generator(7)).ToArray());
    }

    [Fact]
    public void RandomValuesHaveTheRequestedDistribution()
    {
        var normal = Tensor.Normal([20000], mean: 3, std: 2, new Generator(1), DType.Float64);
        Assert.InRange(normal.Mean().Item(), 2.95, 3.05);
        Assert.InRange(Math.Sqrt(normal.Var().Item()), 1.95, 2.05);
        var uniform = Tensor.Uniform([20000], -2, 4, new Generator(2), DType.Float64);
        Assert.InRange(uniform.Min().Item(), -2, -1.99);
        Assert.InRange(uniform.Max().Item(), 3.99, 4);
        Assert.InRange(uniform.Mean().Item(), 0.95, 1.05);
    }

    [Fact]
    public void GeneratorStateRoundTripsExactly()
    {
        var generator = new Generator(5);
        generator.NextNormal();
        var state = generator.GetState();
        var expected = Enumerable.Range(0, 10).Select(_ => generator.NextNormal()).ToArray();
        var restored = new Generator(0);
        restored.SetState(state);
        Assert.Equal(expected, Enumerable.Range(0, 10).Select(_ => restored.NextNormal()).ToArray());
        var permutation = new Generator(9).Permutation(50);
        Assert.Equal(Enumerable.Range(0, 50), permutation.Order());
    }

    [Fact]
    public void KeepDimFollowsNumPy()
    {
        // Seed 004, multiple-choice question 1.
        var a = Tensor.Arange(60, DType.Float64).Reshape(3, 4, 5);
        var b = a.Sum(0, keepDim: true);
        var c = a.Sum(0);
        Assert.Equal(new[] { 1, 4, 5 }, b.Shape.ToArray());
        Assert.Equal(new[] { 4, 5 }, c.Shape.ToArray());
        Assert.Equal(0 + 20 + 40, c.At(0, 0));
        Assert.Equal(new[] { 3, 1, 5 }, a.Mean(1, keepDim: true).Shape.ToArray());
        Assert.Equal(new[] { 3, 4 }, a.Max(-1).Shape.ToArray());
        Assert.Equal(new[] { 3, 4, 1 }, a.Var(2, keepDim: true).Shape.ToArray());
    }

    [Fact]
    public void RowSelectionPicksMiniBatches()
    {
        var x = Tensor.Arange(12).Reshape(4, 3);
        var batch = x.IndexSelect(0, Tensor.FromArray(new long[] { 3, 0, 3 }));
        Assert.Equal(new float[] { 9, 10, 11, 0, 1, 2, 9, 10, 11 }, batch.ToArray());
        Assert.Equal(new float[] { 3, 4, 5 }, x.Rows([1]).ToArray());
        var error = Assert.Throws<TensorShapeException>(() => x.Rows([4]));
        Assert.Contains("out of range", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ArgMaxReturnsInt64Indices()
    {
        var x = Tensor.FromArray(new float[] { 1, 5, 2, 7, 0, 7 }, [2, 3]);
        var argmax = x.ArgMax(1);
        Assert.Equal(DType.Int64, argmax.DType);
        Assert.Equal(new long[] { 1, 0 }, argmax.ToArray<long>());
        Assert.Equal(3, x.ArgMax().Item());
        var labels = Tensor.FromArray(new long[] { 1, 2 });
        Assert.Equal(1, argmax.Eq(labels).Sum().Item());
    }

    [Fact]
    public void LogSumExpSoftmaxAndLogSoftmaxAreFiniteForHugeInputs()
    {
        var x = Tensor.FromArray(new double[] { 1000, -1000, 999 }, requiresGrad: true);
        Assert.Equal(1000 + Math.Log(1 + Math.Exp(-1)), x.LogSumExp(0).Item(), 10);
        var softmax = x.Softmax(0).ToArray<double>();
        Assert.Equal(1 / (1 + Math.Exp(-1)), softmax[0], 12);
        Assert.Equal(0, softmax[1]);
        var logSoftmax = x.LogSoftmax(0).ToArray<double>();
        Assert.Equal(-2000 - Math.Log(1 + Math.Exp(-1)), logSoftmax[1], 9);
        Assert.All(logSoftmax, v => Assert.True(double.IsFinite(v)));
        var negative = Tensor.FromArray(new float[] { -1000, -1000 });
        Assert.Equal(-1000 + MathF.Log(2), negative.LogSumExp(0).Item(), 3);
    }

    [Fact]
    public void SoftplusKeepsItsTinyTail()
    {
        var values = Tensor.FromArray(new double[] { -40, -30, -745 }).Softplus().ToArray<double>();
        Assert.Equal(Math.Exp(-40), values[0], Math.Exp(-40) * 1e-12);
        // log1p(t) = t - t²/2 + ...; the naive log(1 + t) would lose most digits here.
        Assert.Equal(Math.Exp(-30) - Math.Exp(-60) / 2, values[1], Math.Exp(-30) * 1e-12);
        Assert.Equal(Math.Exp(-745), values[2]);
        Assert.Equal(MathF.Exp(-30), Tensor.FromArray(new float[] { -30 }).Softplus().ToArray()[0], MathF.Exp(-30) * 1e-5f);
    }

    [Fact]
    public void ItemOfAManyElementTensorIsAnError()
    {
        var error = Assert.Throws<TensorShapeException>(() => Tensor.Zeros([2, 2]).Item());
        Assert.Contains("(2, 2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToStringShowsValuesShapeAndGradFunction()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        Assert.Equal("tensor([1, 2], shape=(2,), dtype=float32, requires_grad=True)", x.ToString());
        Assert.Contains("grad_fn=mul", (x * 2).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ReshapeInfersOneSizeAndSharesStorage()
    {
        var x = Tensor.Arange(6);
        var y = x.Reshape(-1, 2);
        Assert.Equal(new[] { 3, 2 }, y.Shape.ToArray());
        x.Fill(1);
        Assert.Equal(1, y.At(2, 1));
    }

    [Fact]
    public void ElementWiseFunctions_OfAnEmptyTensor_AreEmpty()
    {
        // TensorPrimitives.Sigmoid throws on empty spans; an empty batch must not.
        var empty = Tensor.Zeros([0, 4]);
        foreach (var y in new[] { empty.Sigmoid(), empty.Tanh(), empty.Relu(), empty.Exp() })
        {
            Assert.Equal(new[] { 0, 4 }, y.Shape.ToArray());
        }
    }
}

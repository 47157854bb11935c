using MyTorch.NN;
using MyTorch.Ops;
using Xunit;

namespace MyTorch.Tests.Convolution;

/// <summary>
/// Conv2d and Conv1d: the im2col + GEMM kernels against the direct reference convolution over many seeded geometries,
/// the gradients as the adjoints of the forward, PyTorch's shapes, state-dict keys, initialization bound and repr,
/// unbatched and empty inputs, and the messages for inputs that do not fit.
/// </summary>
public class ConvTests
{
    private static IEnumerable<ConvGeometry> Geometries()
    {
        var random = new Generator(91);
        int Draw(int low, int high) => low + (int)random.NextInt64(high - low + 1);
        for (int trial = 0; trial < 60; trial++)
        {
            int groups = Draw(1, 3), kh = Draw(1, 4), kw = Draw(1, 4), dh = Draw(1, 2), dw = Draw(1, 3);
            int top = Draw(0, 2), left = Draw(0, 2), bottom = top + Draw(0, 1), right = left + Draw(0, 1);
            int h = Math.Max(1, dh * (kh - 1) + 1 - top - bottom + Draw(0, 5)), w = Math.Max(1, dw * (kw - 1) + 1 - left - right + Draw(0, 5));
            yield return new ConvGeometry(Draw(1, 3), groups * Draw(1, 3), h, w, groups * Draw(1, 3), kh, kw, Draw(1, 3), Draw(1, 3),
                top, bottom, left, right, dh, dw, groups);
        }
        yield return new ConvGeometry(2, 4, 5, 6, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2); // pointwise: no column buffer
    }

    private static double[] Random(ulong seed, int count) => Tensor.Uniform([count], -1, 1, new Generator(seed), DType.Float64).ToArray<double>();

    private static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    [Fact]
    public void Forward_IsTheDirectConvolution_ForManyGeometries()
    {
        foreach (var g in Geometries())
        {
            var x = Random(1, Count(g.InputShape));
            var w = Random(2, Count(g.WeightShape));
            var b = Random(3, g.OC);
            var expected = new double[Count(g.OutputShape)];
            ConvKernels.Reference<double>(g, x, w, b, expected);
            var actual = new double[expected.Length];
            ConvKernels.Forward<double>(g, x, w, b, actual, new double[ConvKernels.ColumnElements(g)]);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12, $"{g}: element {i} is {actual[i]}, the direct convolution gives {expected[i]}");

            var single = new float[expected.Length];
            ConvKernels.Forward<float>(g, Array.ConvertAll(x, v => (float)v), Array.ConvertAll(w, v => (float)v), Array.ConvertAll(b, v => (float)v),
                single, new float[ConvKernels.ColumnElements(g)]);
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - single[i]) <= 1e-4, $"{g}: float32 element {i}");
        }
    }

    [Fact]
    public void InputAndWeightGradients_AreTheForwardsAdjoints()
    {
        // <conv(x, w), g> = <x, dx(g, w)> = <w, dw(x, g)> for every x, w and g: the gradients are right exactly when this holds.
        foreach (var g in Geometries())
        {
            var x = Random(4, Count(g.InputShape));
            var w = Random(5, Count(g.WeightShape));
            var gy = Random(6, Count(g.OutputShape));
            var y = new double[gy.Length];
            ConvKernels.Reference<double>(g, x, w, default, y);
            var col = new double[ConvKernels.ColumnElements(g)];
            var dx = new double[x.Length];
            var dw = new double[w.Length];
            ConvKernels.InputGrad<double>(g, gy, w, dx, col);
            ConvKernels.WeightGrad<double>(g, x, gy, dw, col, new double[(ConvKernels.Chunks(g) - 1) * dw.Length]);
            double Dot(double[] a, double[] b) => a.Zip(b, (p, q) => p * q).Sum();
            double reference = Dot(y, gy);
            Assert.True(Math.Abs(reference - Dot(x, dx)) <= 1e-10 * Math.Max(1, Math.Abs(reference)), $"{g}: input gradient");
            Assert.True(Math.Abs(reference - Dot(w, dw)) <= 1e-10 * Math.Max(1, Math.Abs(reference)), $"{g}: weight gradient");
        }
    }

    [Fact]
    public void Conv2d_HasPyTorchsShapesKeysInitializationAndRepr()
    {
        var layer = new Conv2d(6, 4, (3, 5), stride: 2, padding: (1, 2), groups: 2, generator: new Generator(1));
        Assert.Equal([4, 3, 3, 5], layer.Weight.Shape.ToArray());
        Assert.Equal([4], layer.Bias!.Shape.ToArray());
        Assert.Equal(["weight", "bias"], layer.StateDict().Keys.ToArray());
        double bound = 1 / Math.Sqrt(3 * 3 * 5);
        Assert.All(layer.Weight.ToArray<double>(), v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.All(layer.Bias.ToArray<double>(), v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.True(layer.Weight.ToArray<double>().Max() > 0.8 * bound);
        Assert.Equal("Conv2d(6, 4, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), groups=2)", layer.ToString());
        Assert.Equal("Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))", new Conv2d(1, 6, 5).ToString());
        Assert.Equal("Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=same, dilation=(2, 2), bias=False)",
            new Conv2d(2, 2, 3, padding: "same", dilation: 2, bias: false).ToString());
        Assert.Equal("Conv1d(2, 3, kernel_size=(3,), stride=(2,), padding=(1,))", new Conv1d(2, 3, 3, 2, 1).ToString());
        Assert.Equal([2, 4, 4, 4], layer.OutputShape(2, 6, 7, 8));
        Assert.Equal([3, 5], new Conv1d(2, 3, 3).OutputShape(2, 7));
        // The same generator seed gives the same layer.
        Assert.Equal(layer.Weight.ToArray<double>(), new Conv2d(6, 4, (3, 5), stride: 2, padding: (1, 2), groups: 2, generator: new Generator(1)).Weight.ToArray<double>());
    }

    [Fact]
    public void UnbatchedAndEmptyBatches_WorkAsInPyTorch()
    {
        var layer = new Conv2d(2, 3, 3, padding: 1, dtype: DType.Float64, generator: new Generator(2));
        var x = Tensor.Normal([2, 5, 4], 0, 1, new Generator(3), DType.Float64);
        var unbatched = layer.Forward(x);
        Assert.Equal([3, 5, 4], unbatched.Shape.ToArray());
        Assert.Equal(layer.Forward(x.Reshape(1, 2, 5, 4)).ToArray<double>(), unbatched.ToArray<double>());

        var empty = Tensor.Zeros([0, 2, 5, 4], DType.Float64).RequireGrad();
        var y = layer.Forward(empty);
        Assert.Equal([0, 3, 5, 4], y.Shape.ToArray());
        y.Sum().Backward();
        Assert.Equal(new double[layer.Weight.Count], layer.Weight.Grad!.ToArray<double>());
        Assert.Equal(new double[3], layer.Bias!.Grad!.ToArray<double>());

        var conv1 = new Conv1d(2, 4, 2, dtype: DType.Float64);
        Assert.Equal([4, 6], conv1.Forward(Tensor.Zeros([2, 7], DType.Float64)).Shape.ToArray());
    }

    [Fact]
    public void InputsThatDoNotFit_AreShapeErrorsNamingTheLayerTheShapeAndTheSmallestSize()
    {
        var layer = new Conv2d(3, 8, 5, padding: 1);
        var tooSmall = Assert.Throws<TensorShapeException>(() => layer.Forward(Tensor.Zeros([1, 3, 2, 9])));
        Assert.Contains("Conv2d(3, 8, kernel_size=(5, 5)", tooSmall.Message, StringComparison.Ordinal);
        Assert.Contains("(1, 3, 2, 9)", tooSmall.Message, StringComparison.Ordinal);
        Assert.Contains("smallest input size that works is (3, 3)", tooSmall.Message, StringComparison.Ordinal);

        var channels = Assert.Throws<TensorShapeException>(() => layer.Forward(Tensor.Zeros([1, 4, 9, 9])));
        Assert.Contains("4 channels", channels.Message, StringComparison.Ordinal);
        Assert.Contains("expects 3", channels.Message, StringComparison.Ordinal);

        var rank = Assert.Throws<TensorShapeException>(() => layer.Forward(Tensor.Zeros([3, 9])));
        Assert.Contains("4-D input", rank.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 9)", rank.Message, StringComparison.Ordinal);

        var conv1 = new Conv1d(2, 2, 4, dilation: 2);
        var shortInput = Assert.Throws<TensorShapeException>(() => conv1.Forward(Tensor.Zeros([1, 2, 5])));
        Assert.Contains("Conv1d(2, 2", shortInput.Message, StringComparison.Ordinal);
        Assert.Contains("smallest length that works is 7", shortInput.Message, StringComparison.Ordinal);
        Assert.Throws<TensorShapeException>(() => conv1.Forward(Tensor.Zeros([1, 2, 3, 9])));

        Assert.Throws<ArgumentException>(() => new Conv2d(2, 2, 3, stride: 2, padding: "same"));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([1, 2, 5, 5]).Conv2d(Tensor.Zeros([2, 2, 3, 3]), stride: 2, padding: "same"));
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2));
        Assert.Throws<ArgumentException>(() => new Conv2d(2, 2, 3, padding: "full"));
        Assert.Throws<TensorShapeException>(() => Tensor.Zeros([1, 2, 5, 5]).Conv2d(Tensor.Zeros([2, 2, 3, 3]), Tensor.Zeros([3])));
        Assert.Throws<TensorShapeException>(() => Tensor.Zeros([1, 2, 5, 5]).Conv2d(Tensor.Zeros([2, 2, 3, 3], DType.Float64)));
    }

    [Fact]
    public void Float32AndFloat64_Agree()
    {
        var layer = new Conv2d(3, 4, 3, stride: (1, 2), padding: 1, dilation: (2, 1), dtype: DType.Float64, generator: new Generator(8));
        var x = Tensor.Normal([2, 3, 7, 6], 0, 1, new Generator(9), DType.Float64).RequireGrad();
        var y64 = layer.Forward(x);
        y64.Square().Sum().Backward();
        var x32 = x.Detach().To(DType.Float32).RequireGrad();
        var dw64 = layer.Weight.Grad!.ToArray<double>();
        layer.To(DType.Float32);
        var y32 = layer.Forward(x32);
        y32.Square().Sum().Backward();
        var a = y64.ToArray<double>();
        var b = y32.ToArray<double>();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) < 1e-4);
        var dw32 = layer.Weight.Grad!.ToArray<double>();
        for (int i = 0; i < dw64.Length; i++) Assert.True(Math.Abs(dw64[i] - dw32[i]) < 1e-3 * Math.Max(1, Math.Abs(dw64[i])));
    }

    [Fact]
    public void ChangingTheOutputInPlace_LeavesTheBackwardIntact_AsConvolutionsDoNotReadTheirOutput()
    {
        var layer = new Conv2d(2, 3, 3, dtype: DType.Float64, generator: new Generator(11));
        var x = Tensor.Normal([2, 2, 5, 5], 0, 1, new Generator(12), DType.Float64).RequireGrad();
        var expected = Autograd.Grad([(layer.Forward(x) * 2).MaxPool2d(2).Sum()], [x, layer.Weight]);
        var y = layer.Forward(x);
        y.MultiplyInPlace(2);
        var actual = Autograd.Grad([y.MaxPool2d(2).Sum()], [x, layer.Weight]);
        Assert.Equal(expected[0]!.ToArray<double>(), actual[0]!.ToArray<double>());
        Assert.Equal(expected[1]!.ToArray<double>(), actual[1]!.ToArray<double>());
    }
}

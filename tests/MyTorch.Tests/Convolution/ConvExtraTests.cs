using MyTorch.Diagnostics;
using MyTorch.NN;
using MyTorch.Ops;
using Xunit;

namespace MyTorch.Tests.Convolution;

/// <summary>
/// The transposed convolutions, adaptive max pooling, resampling, padding and GroupNorm beyond the PyTorch fixtures:
/// their gradient checks (op definitions and layers), conv_transpose2d as the adjoint of conv2d over many geometries,
/// shapes, state-dict keys, initialization bound and repr, unbatched and empty inputs, and the messages for inputs that
/// do not fit.
/// </summary>
public class ConvExtraTests
{
    public static TheoryData<string> Ops() =>
        new("conv_transpose2d", "adaptive_max_pool2d", "interpolate", "downsample", "constant_pad2d", "group_norm");

    [Theory]
    [MemberData(nameof(Ops))]
    public void OpDefinition_GradientChecksPass(string name)
    {
        var op = OpRegistry.Find(name);
        Assert.NotNull(op);
        var cases = op!.GradCheckCases.ToArray();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var result = GradCheck.Check(c.Function, c.Inputs(), c.Step);
            Assert.True(result.Passed, $"{c.Name} {c.Variant}");
        }
    }

    [Theory]
    [InlineData("ConvTranspose2d")]
    [InlineData("ConvTranspose1d")]
    [InlineData("AdaptiveMaxPool2d")]
    [InlineData("Upsample")]
    [InlineData("Downsample2d")]
    [InlineData("Upsample2d")]
    [InlineData("ZeroPad2d")]
    [InlineData("ConstantPad2d")]
    [InlineData("GroupNorm")]
    public void Layer_IsInTheGradCheckSuite_AndPasses(string layer)
    {
        var results = GradCheckSuite.Run(layer).Where(r => r.Case.Name == layer).ToArray();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.True(r.Result.Passed, $"{r.Case.Name} {r.Case.Variant}"));
    }

    [Fact]
    public void ConvTranspose2d_IsTheAdjointOfConv2d_ForManyGeometries()
    {
        var random = new Generator(93);
        int Draw(int low, int high) => low + (int)random.NextInt64(high - low + 1);
        for (int trial = 0; trial < 40; trial++)
        {
            int groups = Draw(1, 2), k = Draw(1, 3), s = Draw(1, 3), d = Draw(1, 2), p = Draw(0, 2);
            int op = Draw(0, Math.Max(s, d) - 1);
            var x = Tensor.Uniform([Draw(1, 2), groups * Draw(1, 2), Draw(1, 4), Draw(1, 4)], -1, 1, random, DType.Float64);
            var w = Tensor.Uniform([x.Shape[1], Draw(1, 2), k, Draw(1, 3)], -1, 1, random, DType.Float64);
            int oh = (x.Shape[2] - 1) * s - 2 * p + d * (k - 1) + op + 1, ow = (x.Shape[3] - 1) * s - 2 * p + d * (w.Shape[3] - 1) + op + 1;
            if (oh < 1 || ow < 1) continue;
            var y = x.ConvTranspose2d(w, null, s, p, op, groups, d);
            Assert.Equal([x.Shape[0], w.Shape[1] * groups, oh, ow], y.ShapeArray);
            var z = Tensor.Uniform(y.ShapeArray, -1, 1, random, DType.Float64);
            // <conv_transpose2d(x, w), z> = <x, conv2d(z, w)>: the same weight read as conv2d's (out, in / groups, kH, kW). With
            // output_padding at or above the stride (a large dilation allows it) conv2d gives one more row or column, which has no counterpart.
            var conv = z.Conv2d(w, null, s, p, d, groups);
            if (op < s) Assert.Equal(x.ShapeArray, conv.ShapeArray);
            conv = conv.Narrow(2, 0, x.Shape[2]).Narrow(3, 0, x.Shape[3]);
            double left = (y * z).Sum().Item(), right = (x * conv).Sum().Item();
            Assert.True(Math.Abs(left - right) <= 1e-10 * Math.Max(1, Math.Abs(left)), $"trial {trial}: {left} vs {right}");
        }
    }

    [Fact]
    public void ConvTranspose2d_HasPyTorchsLayout_Keys_Init_Repr_AndOutputShape()
    {
        var layer = new ConvTranspose2d(4, 6, (3, 2), 2, 1, (1, 0), groups: 2, generator: new Generator(1));
        Assert.Equal([4, 3, 3, 2], layer.Weight.ShapeArray);
        Assert.Equal([6], layer.Bias!.ShapeArray);
        Assert.Equal(["weight", "bias"], layer.StateDict().Keys);
        double bound = 1 / Math.Sqrt(3 * 3 * 2);
        Assert.All(layer.Weight.ToArray<double>(), v => Assert.InRange(v, -bound, bound));
        Assert.Equal("ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), output_padding=(1, 0), groups=2)", layer.ToString());
        Assert.Equal("ConvTranspose1d(2, 3, kernel_size=(3,), stride=(2,), dilation=(2,), bias=False)",
            new ConvTranspose1d(2, 3, 3, 2, bias: false, dilation: 2).ToString());
        Assert.Equal([5, 6, 8, 4], layer.OutputShape(5, 4, 4, 3));
        Assert.Equal([6, 8, 4], layer.OutputShape(4, 4, 3));
        Assert.Equal([0, 6, 8, 4], layer.OutputShape(0, 4, 4, 3));
        Assert.Equal([2, 3, 10], new ConvTranspose1d(2, 3, 3, 2, outputPadding: 1).OutputShape(2, 2, 4));
    }

    [Fact]
    public void ConvTranspose_BadInputs_NameTheLayerTheShapeAndWhatWorks()
    {
        var layer = new ConvTranspose2d(3, 2, 3, padding: 2);
        var wrongChannels = Assert.Throws<TensorShapeException>(() => layer.Forward(Tensor.Zeros([1, 2, 4, 4])));
        Assert.Contains("ConvTranspose2d(3, 2, kernel_size=(3, 3)", wrongChannels.Message);
        Assert.Contains("(1, 2, 4, 4)", wrongChannels.Message);
        var tooSmall = Assert.Throws<TensorShapeException>(() => layer.Forward(Tensor.Zeros([1, 3, 1, 4])));
        Assert.Contains("(1, 3, 1, 4)", tooSmall.Message);
        Assert.Contains("the smallest input size that works is (3, 3)", tooSmall.Message);
        Assert.Equal([1, 2, 1, 1], layer.OutputShape(1, 3, 3, 3));
        var rank = Assert.Throws<TensorShapeException>(() => layer.Forward(Tensor.Zeros([3, 4])));
        Assert.Contains("expected a 4-D input", rank.Message);
        var short1d = Assert.Throws<TensorShapeException>(() => new ConvTranspose1d(1, 1, 2, padding: 3).Forward(Tensor.Zeros([1, 1, 2])));
        Assert.Contains("the smallest length that works is 6", short1d.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2d(1, 1, 3, stride: 2, outputPadding: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros([1, 1, 3, 3]).ConvTranspose2d(Tensor.Zeros([1, 1, 2, 2]), outputPadding: 1));
    }

    [Fact]
    public void AdaptiveMaxPool_TakesPyTorchsWindows_AndSendsTheGradientToTheFirstMaximum()
    {
        var x = Tensor.FromArray(new double[] { 1, 3, 3, 0, 2 }, [1, 1, 5], requiresGrad: true);
        // Windows for 5 -> 3: [0, 2), [1, 4), [3, 5).
        var y = x.AdaptiveMaxPool1d(3);
        Assert.Equal([3.0, 3, 2], y.ToArray<double>());
        y.Sum().Backward();
        Assert.Equal([0.0, 2, 0, 0, 1], x.Grad!.ToArray<double>());
        Assert.Equal([2, 3, 2], new AdaptiveMaxPool2d((3, 2)).OutputShape(2, 5, 7));
        var empty = Assert.Throws<TensorShapeException>(() => new AdaptiveMaxPool2d(2).Forward(Tensor.Zeros([1, 1, 0, 3])));
        Assert.Contains("AdaptiveMaxPool2d(output_size=2)", empty.Message);
        Assert.Contains("the smallest input size that works is (1, 1)", empty.Message);
        Assert.Equal([0, 2, 2, 2], new AdaptiveMaxPool2d(2).OutputShape(0, 2, 3, 3));
    }

    [Fact]
    public void StrideResampling_DownsampleUndoesUpsample_AndTheyAreAdjoint()
    {
        var x = Tensor.Uniform([2, 3, 4, 5], -1, 1, new Generator(4), DType.Float64);
        Assert.Equal(x.ToArray<double>(), x.Upsample2d(3).Downsample2d(3).ToArray<double>());
        Assert.Equal([2, 3, 12, 15], x.Upsample2d(3).ShapeArray);
        Assert.Equal([2, 3, 2, 3], x.Downsample2d(2).ShapeArray);
        var z = Tensor.Uniform([2, 3, 8, 10], -1, 1, new Generator(5), DType.Float64);
        Assert.Equal((x.Upsample2d(2) * z).Sum().Item(), (x * z.Downsample2d(2)).Sum().Item(), 12);
        Assert.Equal([0.0, 0, 0, 0, 1, 0], Tensor.FromArray(new double[] { 0, 0, 1 }, [1, 1, 3]).Upsample1d(2).ToArray<double>());
        var rank = Assert.Throws<TensorShapeException>(() => new Downsample2d(2).Forward(Tensor.Zeros([3, 4, 4])));
        Assert.Contains("Downsample2d(factor=2)", rank.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Upsample2d(0));
    }

    [Fact]
    public void Upsample_ShapesRepr_AndErrors()
    {
        Assert.Equal([1, 2, 6, 9], new Upsample(scaleFactor: (2, 3)).OutputShape(1, 2, 3, 3));
        Assert.Equal([1, 2, 4, 4], new Upsample(scaleFactor: 1.5, mode: "bilinear").OutputShape(1, 2, 3, 3));
        Assert.Equal("Upsample(scale_factor=2.0, mode='nearest')", new Upsample(scaleFactor: 2).ToString());
        Assert.Equal("Upsample(size=(4, 5), mode='bilinear', align_corners=True)", new Upsample((4, 5), mode: "bilinear", alignCorners: true).ToString());
        var tooSmall = Assert.Throws<TensorShapeException>(() => new Upsample(scaleFactor: 0.5).Forward(Tensor.Zeros([1, 1, 1, 4])));
        Assert.Contains("(1, 1, 1, 4)", tooSmall.Message);
        Assert.Contains("the smallest size that works is 2", tooSmall.Message);
        var rank = Assert.Throws<TensorShapeException>(() => new Upsample(scaleFactor: 2, mode: "bilinear").Forward(Tensor.Zeros([1, 1, 4])));
        Assert.Contains("4-D", rank.Message);
        Assert.Throws<ArgumentException>(() => new Upsample(scaleFactor: 2, mode: "bicubic"));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([1, 1, 2, 2]).Interpolate(scaleFactor: 2, alignCorners: true));
        // A constant image stays constant under bilinear resampling in both dtypes.
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            Assert.All(Tensor.Full([1, 1, 3, 4], 2.5, dtype).Interpolate(size: (7, 5), mode: "bilinear").ToArray<double>(), v => Assert.Equal(2.5, v, 6));
    }

    [Fact]
    public void Padding_ShapesCropsRepr_AndErrors()
    {
        var x = Tensor.Uniform([2, 3, 4], -1, 1, new Generator(6), DType.Float64);
        var padded = new ConstantPad2d((1, 2, 0, 1), -1).Forward(x);
        Assert.Equal([2, 4, 7], padded.ShapeArray);
        Assert.Equal(x.ToArray<double>(), padded.ConstantPad2d((-1, -2, 0, -1)).ToArray<double>());
        Assert.Equal("ZeroPad2d((1, 1, 1, 1))", new ZeroPad2d(1).ToString());
        Assert.Equal("ConstantPad2d(padding=(0, 1, 2, 3), value=0.5)", new ConstantPad2d((0, 1, 2, 3), 0.5).ToString());
        var crop = Assert.Throws<TensorShapeException>(() => new ZeroPad2d((-2, -2, 0, 0)).Forward(Tensor.Zeros([1, 1, 3, 3])));
        Assert.Contains("ZeroPad2d((-2, -2, 0, 0))", crop.Message);
        Assert.Contains("(1, 1, 3, 3)", crop.Message);
        Assert.Contains("the smallest input size that works is (1, 5)", crop.Message);
        Assert.Throws<TensorShapeException>(() => new ZeroPad2d(1).Forward(Tensor.Zeros([3])));
    }

    [Fact]
    public void GroupNorm_NormalizesEachGroup_WithPyTorchsKeysAndRepr()
    {
        var layer = new GroupNorm(2, 4, dtype: DType.Float64);
        Assert.Equal(["weight", "bias"], layer.StateDict().Keys);
        Assert.Equal("GroupNorm(2, 4, eps=1e-05, affine=True)", layer.ToString());
        var x = Tensor.Uniform([3, 4, 2, 5], -2, 3, new Generator(7), DType.Float64);
        var y = layer.Forward(x).Reshape(3, 2, 20);
        Assert.All(y.Mean(-1).ToArray<double>(), v => Assert.Equal(0, v, 12));
        Assert.All(y.Var(-1, unbiased: false).ToArray<double>(), v => Assert.Equal(1, v, 3));
        Assert.Empty(new GroupNorm(2, 4, affine: false).Parameters());
        Assert.Equal([0, 4, 3], new GroupNorm(2, 4).OutputShape(0, 4, 3));
        var wrong = Assert.Throws<TensorShapeException>(() => layer.Forward(Tensor.Zeros([2, 3, 4], DType.Float64)));
        Assert.Contains("GroupNorm(2, 4", wrong.Message);
        Assert.Contains("(2, 3, 4)", wrong.Message);
        Assert.Throws<ArgumentException>(() => new GroupNorm(3, 4));
    }

    [Theory]
    [InlineData("conv_transpose2d", 3, "conv_transpose2d({0}, {1}) + {2}")]
    [InlineData("conv_transpose2d", 2, "conv_transpose2d({0}, {1})")]
    [InlineData("adaptive_max_pool2d", 1, "adaptive_max_pool2d({0})")]
    public void OpsHaveTheirNotation(string op, int inputs, string expression) =>
        Assert.Equal(expression, MyTorch.Visualization.OpNotation.For(op, inputs).Expression);
}

using MyTorch.NN;
using MyTorch.Onnx;
using MyTorch.Ops;
using Xunit;

namespace MyTorch.Tests.Onnx;

/// <summary>Convolution, pooling, BatchNorm2d and reshaping layers exported to ONNX, run in ONNX Runtime and re-imported, against MyTorch.</summary>
public sealed class OnnxConvExportTests
{
    private const double Tolerance = 1e-5;

    private static BatchNorm2d TrainedBatchNorm(int channels, Generator generator)
    {
        var bn = new BatchNorm2d(channels);
        bn.Train();
        using (Autograd.NoGrad())
            for (int i = 0; i < 4; i++) bn.Call(Tensor.Randn([4, channels, 3, 3], generator: generator) * 2 + 0.5);
        return bn;
    }

    private static readonly Dictionary<string, Func<Generator, (Module Model, int[] Features)>> Models = new(StringComparer.Ordinal)
    {
        ["lenet-like"] = g => (new Sequential(new Unflatten(1, 1, 8, 8), new Conv2d(1, 3, 3, padding: 1, generator: g), TrainedBatchNorm(3, g), new ReLU(),
            new MaxPool2d(2), new Conv2d(3, 4, (2, 3), padding: "same", generator: g), new Tanh(), new AvgPool2d(2), new Flatten(),
            new Linear(16, 3, generator: g)), [64]),
        ["conv-strides-dilation-groups"] = g => (new Sequential(new Conv2d(2, 4, 3, stride: (2, 1), padding: (1, 2), dilation: 2, groups: 2, generator: g),
            new Dropout2d(0.3), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(4, 2, generator: g)), [2, 9, 8]),
        ["pool-padding-ceil"] = g => (new Sequential(new MaxPool2d(3, stride: 2, padding: 1, ceilMode: true), new AvgPool2d(2, stride: 1, padding: 1, countIncludePad: false),
            new AdaptiveAvgPool2d((2, 2)), new Flatten()), [2, 8, 8]),
        ["conv1d"] = g => (new Sequential(new Conv1d(2, 3, 3, stride: 2, padding: 1, generator: g), new GELU(), new MaxPool1d(2), new Conv1d(3, 3, 2, padding: "same", bias: false, generator: g),
            new AvgPool1d(2), new AdaptiveAvgPool1d(1), new Flatten(), new Linear(3, 2, generator: g)), [2, 16]),
        ["partial-flatten"] = g => (new Sequential(new Flatten(2), new Linear(20, 2, generator: g), new Flatten()), [3, 4, 5]),
        ["groupnorm-convtranspose-pads"] = g => (new Sequential(new Conv2d(2, 4, 3, padding: 1, generator: g), new GroupNorm(2, 4), new ZeroPad2d((1, 0, 2, 1)),
            new ConvTranspose2d(4, 3, 3, stride: 2, padding: 1, outputPadding: 1, generator: g), new ConstantPad2d((-1, 1, 0, 0), 0.5), new GroupNorm(3, 3, affine: false),
            new Flatten()), [2, 5, 5]),
        ["conv-no-bias-bn-no-affine"] = g => (new Sequential(new Conv2d(3, 2, 1, bias: false, generator: g), new BatchNorm2d(2, affine: false), new Flatten()), [3, 2, 2]),
    };

    public static TheoryData<string> ModelNames => new(Models.Keys);

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Exported_conv_models_match_in_onnx_runtime_and_on_reimport(string name)
    {
        var generator = new Generator(29);
        var (model, features) = Models[name](generator);
        var bytes = OnnxExport.ToOnnxBytes(model, Tensor.Randn([2, .. features], generator: generator));
        var input = Tensor.Randn([5, .. features], generator: generator);
        model.Eval();
        Tensor expected;
        using (Autograd.NoGrad()) expected = model.Call(input);
        OnnxRuntimeHarness.AssertClose(expected, OnnxRuntimeHarness.Run(bytes, "input", input), Tolerance, $"{name} in ONNX Runtime");
        OnnxRuntimeHarness.AssertClose(expected, OnnxModel.FromBytes(bytes).Run(input), Tolerance, $"{name} re-imported");
    }

    [Fact]
    public void Unequal_adaptive_windows_and_batch_statistics_are_refused_by_name()
    {
        var adaptive = new Sequential(new AdaptiveAvgPool2d(3));
        var error = Assert.Throws<NotSupportedException>(() => OnnxExport.ToOnnxBytes(adaptive, Tensor.Zeros([1, 1, 5, 5])));
        Assert.Contains("'0'", error.Message, StringComparison.Ordinal);
        var bn = new Sequential(new BatchNorm2d(2, trackRunningStats: false));
        Assert.Throws<NotSupportedException>(() => OnnxExport.ToOnnxBytes(bn, Tensor.Zeros([1, 2, 2, 2])));
    }
}

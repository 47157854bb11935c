using MyTorch.Compiled;
using MyTorch.Kernels;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Compiled;

/// <summary>
/// Convolutional models on the recorded plans: a LeNet-like network (and variants with the other pooling and
/// normalization layers) trains on CompiledTrainingStep bit for bit as on the graph and allocates nothing per steady
/// step, and CompiledInference gives the evaluation forward's bits without allocating.
/// </summary>
public class ConvReplayTests
{
    private const int Classes = 5;

    private static Sequential LeNet(string variant, DType dtype, ulong seed)
    {
        var g = new Generator(seed);
        return variant switch
        {
            "lenet" => new Sequential(
                new Conv2d(1, 4, 3, padding: 1, dtype: dtype, generator: g), new ReLU(), new MaxPool2d(2),
                new Conv2d(4, 6, 3, dtype: dtype, generator: g), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(24, Classes, dtype: dtype, generator: g)),
            "avg" => new Sequential(
                new Conv2d(1, 4, (3, 2), stride: (1, 2), padding: "valid", dtype: dtype, generator: g), new Tanh(), new AvgPool2d(2, padding: 1, countIncludePad: false),
                new Conv2d(4, 4, 3, padding: "same", groups: 4, dtype: dtype, generator: g), new ReLU(), new AdaptiveAvgPool2d((2, 3)),
                new Flatten(), new Linear(24, Classes, dtype: dtype, generator: g)),
            "conv1d" => new Sequential(
                new Flatten(1, 2), new Conv1d(12, 6, 3, stride: 2, padding: 1, dtype: dtype, generator: g), new ReLU(), new MaxPool1d(3, 2, 1),
                new AvgPool1d(2, ceilMode: true), new AdaptiveAvgPool1d(2), new Flatten(), new Linear(12, Classes, dtype: dtype, generator: g)),
            "batchnorm" => new Sequential(
                new Conv2d(1, 4, 3, stride: 2, dtype: dtype, generator: g), new BatchNorm2d(4, dtype: dtype), new ReLU(), new Dropout2d(0.25, new Generator(seed + 1)),
                new Conv2d(4, 6, 1, dtype: dtype, generator: g), new BatchNorm2d(6, momentum: null, affine: false, dtype: dtype), new MaxPool2d(3, 2, 1),
                new Flatten(), new Linear(54, Classes, dtype: dtype, generator: g)),
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
        };
    }


    [Theory]
    [InlineData("lenet", DType.Float32)]
    [InlineData("lenet", DType.Float64)]
    [InlineData("avg", DType.Float32)]
    [InlineData("conv1d", DType.Float64)]
    [InlineData("batchnorm", DType.Float32)]
    [InlineData("batchnorm", DType.Float64)]
    public void Training_IsTheGraphsBitForBit(string variant, DType dtype)
    {
        ReplayChecks.TrainsLikeTheGraph(d => LeNet(variant, d, 21), dtype, [1, 12, 12], Classes, [8, 8, 3, 8, 5, 8, 8, 3]);
    }

    [Theory]
    [InlineData("lenet")]
    [InlineData("avg")]
    [InlineData("conv1d")]
    [InlineData("batchnorm")]
    public void SteadyStateTraining_AllocatesNothing(string variant)
    {
        ReplayChecks.SteadyStateAllocatesNothing(LeNet(variant, DType.Float32, 3), [1, 12, 12], Classes);
    }

    [Theory]
    [InlineData("lenet", DType.Float32)]
    [InlineData("avg", DType.Float64)]
    [InlineData("conv1d", DType.Float32)]
    [InlineData("batchnorm", DType.Float64)]
    public void Inference_IsTheEvaluationForwardBitForBit_AndAllocatesNothing(string variant, DType dtype)
    {
        ReplayChecks.InfersLikeTheEvaluationForward(LeNet(variant, dtype, 7), dtype, [1, 12, 12], Classes, [8, 8, 3, 1, 8]);
    }
}

using MyTorch.Compiled;
using MyTorch.Kernels;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Compiled;

/// <summary>
/// Models with the transposed convolutions, adaptive max pooling, resampling, padding and GroupNorm on the recorded
/// plans: they train on CompiledTrainingStep bit for bit as on the graph and allocate nothing per steady step, and
/// CompiledInference gives the evaluation forward's bits without allocating.
/// </summary>
public class ConvExtraReplayTests
{
    private const int Classes = 5;

    private static Sequential Model(string variant, DType dtype, ulong seed)
    {
        var g = new Generator(seed);
        return variant switch
        {
            "transpose" => new Sequential(
                new Conv2d(1, 4, 3, stride: 2, dtype: dtype, generator: g), new ReLU(),
                new ConvTranspose2d(4, 3, 3, stride: 2, padding: 1, outputPadding: 1, dtype: dtype, generator: g), new GroupNorm(3, 3, dtype: dtype), new ReLU(),
                new ConvTranspose2d(3, 2, 2, groups: 1, bias: false, dilation: 2, dtype: dtype, generator: g), new AdaptiveMaxPool2d((2, 3)),
                new Flatten(), new Linear(12, Classes, dtype: dtype, generator: g)),
            "resample" => new Sequential(
                new ZeroPad2d((1, 0, 2, 1)), new Conv2d(1, 4, 3, dtype: dtype, generator: g), new Tanh(), new Downsample2d(2),
                new Upsample(scaleFactor: 2, mode: "bilinear"), new ConstantPad2d(-1, 0), new Upsample((9, 8)), new Upsample2d(2),
                new GroupNorm(2, 4, dtype: dtype), new AdaptiveMaxPool2d(2), new Flatten(), new Linear(16, Classes, dtype: dtype, generator: g)),
            "conv1d" => new Sequential(
                new Flatten(1, 2), new ConvTranspose1d(12, 6, 3, stride: 2, dtype: dtype, generator: g), new ReLU(), new Downsample1d(2), new Upsample1d(2),
                new AdaptiveMaxPool1d(4), new Upsample(scaleFactor: 2, mode: "linear", alignCorners: true), new Flatten(), new Linear(48, Classes, dtype: dtype, generator: g)),
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
        };
    }


    [Theory]
    [InlineData("transpose", DType.Float32)]
    [InlineData("transpose", DType.Float64)]
    [InlineData("resample", DType.Float32)]
    [InlineData("resample", DType.Float64)]
    [InlineData("conv1d", DType.Float32)]
    [InlineData("conv1d", DType.Float64)]
    public void Training_IsTheGraphsBitForBit(string variant, DType dtype)
    {
        ReplayChecks.TrainsLikeTheGraph(d => Model(variant, d, 21), dtype, [1, 12, 12], Classes, [8, 8, 3, 8, 5, 8, 8, 3]);
    }

    [Theory]
    [InlineData("transpose")]
    [InlineData("resample")]
    [InlineData("conv1d")]
    public void SteadyStateTraining_AllocatesNothing(string variant)
    {
        ReplayChecks.SteadyStateAllocatesNothing(Model(variant, DType.Float32, 3), [1, 12, 12], Classes);
    }

    [Theory]
    [InlineData("transpose", DType.Float64)]
    [InlineData("resample", DType.Float32)]
    [InlineData("conv1d", DType.Float64)]
    public void Inference_IsTheEvaluationForwardBitForBit_AndAllocatesNothing(string variant, DType dtype)
    {
        ReplayChecks.InfersLikeTheEvaluationForward(Model(variant, dtype, 7), dtype, [1, 12, 12], Classes, [8, 8, 3, 1, 8]);
    }
}

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

    private static (Tensor X, Tensor Y) Batch(Generator data, int rows, DType dtype) =>
        (Tensor.Normal([rows, 1, 12, 12], 0, 1, data, dtype), Tensor.FromArray(Enumerable.Range(0, rows).Select(_ => data.NextInt64(Classes)).ToArray()));

    [Theory]
    [InlineData("transpose", DType.Float32)]
    [InlineData("transpose", DType.Float64)]
    [InlineData("resample", DType.Float32)]
    [InlineData("resample", DType.Float64)]
    [InlineData("conv1d", DType.Float32)]
    [InlineData("conv1d", DType.Float64)]
    public void Training_IsTheGraphsBitForBit(string variant, DType dtype)
    {
        var graphModel = Model(variant, dtype, 21);
        var plannedModel = Model(variant, dtype, 21);
        var criterion = new CrossEntropyLoss();
        var graphOptimizer = new SGD(graphModel.Parameters(), 0.05, momentum: 0.9);
        var step = CompiledTrainingStep.Compile(plannedModel, criterion, new SGD(plannedModel.Parameters(), 0.05, momentum: 0.9));
        var data = new Generator(5);
        foreach (int rows in new[] { 8, 8, 3, 8, 5, 8, 8, 3 })
        {
            var (x, y) = Batch(data, rows, dtype);
            graphOptimizer.ZeroGrad();
            var outputs = graphModel.Forward(x);
            var loss = criterion.Forward(outputs, y);
            double expected = loss.Item();
            loss.Backward();
            graphOptimizer.Step();

            Assert.Equal(expected, step.Run(x, y));
            Assert.Null(step.NotPlannedReason);
            Assert.Equal(outputs.ToArray<double>(), step.Outputs!.ToArray<double>());
        }
        var want = graphModel.StateDict();
        var got = plannedModel.StateDict();
        foreach (var (name, tensor) in want)
            Assert.True(tensor.ToArray<double>().SequenceEqual(got[name].ToArray<double>()), $"{name} differs");
    }

    [Theory]
    [InlineData("transpose")]
    [InlineData("resample")]
    [InlineData("conv1d")]
    public void SteadyStateTraining_AllocatesNothing(string variant)
    {
        var model = Model(variant, DType.Float32, 3);
        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.01, momentum: 0.9));
        var data = new Generator(2);
        var batches = Enumerable.Range(0, 4).Select(_ => Batch(data, 16, DType.Float32)).ToArray();
        for (int i = 0; i < 20; i++) step.Run(batches[i % 4].X, batches[i % 4].Y);
        using (WorkerPool.HoldBusy())
        {
            for (int i = 0; i < 3; i++) step.Run(batches[i % 4].X, batches[i % 4].Y);
        }
        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 30; i++) step.Run(batches[i % 4].X, batches[i % 4].Y); }));
        Assert.Null(step.NotPlannedReason);
    }

    [Theory]
    [InlineData("transpose", DType.Float64)]
    [InlineData("resample", DType.Float32)]
    [InlineData("conv1d", DType.Float64)]
    public void Inference_IsTheEvaluationForwardBitForBit_AndAllocatesNothing(string variant, DType dtype)
    {
        var model = Model(variant, dtype, 7);
        var inference = CompiledInference.Compile(model);
        var data = new Generator(3);
        foreach (int rows in new[] { 8, 8, 3, 1, 8 })
        {
            var (x, _) = Batch(data, rows, dtype);
            model.Eval();
            Tensor expected;
            using (Autograd.NoGrad()) expected = model.Forward(x);
            model.Train();
            Assert.Equal(expected.ToArray<double>(), inference.Run(x).ToArray<double>());
        }
        var (batch, _) = Batch(data, 8, dtype);
        var into = Tensor.Zeros([8, Classes], dtype);
        for (int i = 0; i < 10; i++) inference.Run(batch, into);
        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 20; i++) inference.Run(batch, into); }));
        Assert.Null(inference.NotPlannedReason);
    }
}

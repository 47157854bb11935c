using MyTorch.Compiled;
using MyTorch.Kernels;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Ops;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Convolution;

/// <summary>
/// A batch large enough to be split over the kernel threads: the output and every gradient are the same bits for any
/// thread count (the weight gradient sums fixed chunks of images in order), match the direct convolution, and a recorded
/// step with split convolutions allocates nothing.
/// </summary>
[Collection(MyTorch.Tests.Kernels.KernelPathSerial.Name)] // changes KernelOptions.MaxThreads
public class ConvThreadTests
{
    private static (double[] Y, double[] Dx, double[] Dw, double[] Db) Run(DType dtype, int groups)
    {
        var layer = new Conv2d(8, 16, 3, padding: 1, groups: groups, dtype: dtype, generator: new Generator(4));
        var x = Tensor.Normal([9, 8, 16, 15], 0, 1, new Generator(5), dtype).RequireGrad();
        var y = layer.Forward(x);
        var g = Tensor.Normal(y.ShapeArray, 0, 1, new Generator(6), dtype);
        var grads = Autograd.Grad([y], [x, layer.Weight, layer.Bias!], [g]);
        return (y.ToArray<double>(), grads[0]!.ToArray<double>(), grads[1]!.ToArray<double>(), grads[2]!.ToArray<double>());
    }

    [Theory]
    [InlineData(DType.Float32, 1)]
    [InlineData(DType.Float64, 2)]
    public void SplitBatches_GiveTheSameBitsForAnyThreadCount(DType dtype, int groups)
    {
        var geometry = new ConvGeometry(9, 8, 16, 15, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, groups);
        int previous = KernelOptions.MaxThreads;
        try
        {
            KernelOptions.MaxThreads = 1;
            var expected = Run(dtype, groups);
            foreach (int threads in new[] { 2, 3, 8 })
            {
                KernelOptions.MaxThreads = threads;
                Assert.True(ConvKernels.Slices(geometry) > 1);
                var actual = Run(dtype, groups);
                Assert.Equal(expected.Y, actual.Y);
                Assert.Equal(expected.Dx, actual.Dx);
                Assert.Equal(expected.Dw, actual.Dw);
                Assert.Equal(expected.Db, actual.Db);
            }
        }
        finally
        {
            KernelOptions.MaxThreads = previous;
        }
    }

    [Fact]
    public void SplitPoolingAndBatchNorm_GiveTheSameBitsForAnyThreadCount()
    {
        static double[][] Pool()
        {
            var x = Tensor.Normal([8, 16, 33, 31], 0, 1, new Generator(7), DType.Float64).RequireGrad();
            var results = new List<double[]>();
            var bn = new BatchNorm2d(16, dtype: DType.Float64);
            foreach (var f in new Func<Tensor, Tensor>[]
                     { t => t.MaxPool2d(3, 2, 1), t => t.AvgPool2d(2, padding: 1, countIncludePad: false), t => t.AdaptiveAvgPool2d((5, 7)), bn.Forward })
            {
                var y = f(x);
                var g = Tensor.Normal(y.ShapeArray, 0, 1, new Generator(8), DType.Float64).RequireGrad();
                var dx = Autograd.Grad([y], [x], [g], createGraph: true)[0]!;
                results.Add(y.ToArray<double>());
                results.Add(dx.ToArray<double>());
                if (dx.RequiresGrad) results.Add(Autograd.Grad([(dx * x).Sum()], [g])[0]!.ToArray<double>());
            }
            return [.. results];
        }
        int previous = KernelOptions.MaxThreads;
        try
        {
            KernelOptions.MaxThreads = 1;
            var expected = Pool();
            KernelOptions.MaxThreads = 4;
            var actual = Pool();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
        }
        finally
        {
            KernelOptions.MaxThreads = previous;
        }
    }

    [Fact]
    public void SplitBatches_AreTheDirectConvolution()
    {
        var geometry = new ConvGeometry(9, 8, 16, 15, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2);
        var layer = new Conv2d(8, 16, 3, padding: 1, groups: 2, dtype: DType.Float64, generator: new Generator(4));
        var x = Tensor.Normal([9, 8, 16, 15], 0, 1, new Generator(5), DType.Float64);
        var actual = layer.Forward(x).ToArray<double>();
        var expected = new double[actual.Length];
        ConvKernels.Reference<double>(geometry, x.ToArray<double>(), layer.Weight.ToArray<double>(), layer.Bias!.ToArray<double>(), expected);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-12);
    }

    [Fact]
    public void ARecordedStepWithSplitConvolutions_AllocatesNothing()
    {
        int previous = KernelOptions.MaxThreads;
        try
        {
            KernelOptions.MaxThreads = 4;
            var g = new Generator(1);
            var model = new Sequential(new Conv2d(3, 16, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2),
                new Conv2d(16, 16, 3, padding: 1, generator: g), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(16, 4, generator: g));
            var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.01));
            var x = Tensor.Normal([16, 3, 16, 16], 0, 1, new Generator(2));
            var y = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (long)(i % 4)).ToArray());
            for (int i = 0; i < 10; i++) step.Run(x, y);
            Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 10; i++) step.Run(x, y); }));
            Assert.Null(step.NotPlannedReason);
        }
        finally
        {
            KernelOptions.MaxThreads = previous;
        }
    }
}

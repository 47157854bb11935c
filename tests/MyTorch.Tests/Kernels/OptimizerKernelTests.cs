using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>The fused SGD update must give the bits of the three in-place passes it replaces, on every path and length.</summary>
[Collection(KernelPathSerial.Name)]
public class OptimizerKernelTests
{
    public static TheoryData<KernelPath> Paths()
    {
        var data = new TheoryData<KernelPath>();
        foreach (var path in Enum.GetValues<KernelPath>())
        {
            if (path == KernelPath.Auto || KernelOptions.IsSupported(path)) data.Add(path);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SgdMomentum_MatchesTheInPlacePasses(KernelPath path)
    {
        var previous = KernelOptions.Path;
        try
        {
            KernelOptions.Path = path;
            var generator = new Generator(5);
            for (int length = 0; length <= 4 * 16 + 3; length++)
            {
                var parameter = Tensor.Normal([length], 0, 1, generator);
                var velocity = Tensor.Normal([length], 0, 0.1, generator);
                var gradient = Tensor.Normal([length], 0, 3, generator);
                var expectedParameter = parameter.Clone();
                var expectedVelocity = velocity.Clone();
                expectedVelocity.MultiplyInPlace(0.9).AddInPlace(gradient, -0.013);
                expectedParameter.AddInPlace(expectedVelocity);

                OptimizerKernels.SgdMomentum<float>(parameter.F32, velocity.F32, gradient.F32, 0.9f, (float)-0.013);
                Assert.Equal(expectedVelocity.ToArray(), velocity.ToArray());
                Assert.Equal(expectedParameter.ToArray(), parameter.ToArray());

                var p64 = parameter.To(DType.Float64);
                var v64 = velocity.To(DType.Float64);
                var g64 = gradient.To(DType.Float64);
                var expectedV64 = v64.Clone();
                expectedV64.MultiplyInPlace(0.9).AddInPlace(g64, -0.013);
                var expectedP64 = p64.Clone().AddInPlace(expectedV64);
                OptimizerKernels.SgdMomentum<double>(p64.F64, v64.F64, g64.F64, 0.9, -0.013);
                Assert.Equal(expectedV64.ToArray<double>(), v64.ToArray<double>());
                Assert.Equal(expectedP64.ToArray<double>(), p64.ToArray<double>());
            }
        }
        finally
        {
            KernelOptions.Path = previous;
        }
    }

    [Fact]
    public void SgdMomentum_SplitOverThreads_IsBitIdentical()
    {
        int previous = KernelOptions.MaxThreads;
        try
        {
            var generator = new Generator(6);
            int length = 3 * OptimizerKernels.MinElementsPerThread + 77;
            var parameter = Tensor.Normal([length], 0, 1, generator).ToArray();
            var velocity = Tensor.Normal([length], 0, 0.1, generator).ToArray();
            var gradient = Tensor.Normal([length], 0, 3, generator).ToArray();
            (float[] P, float[] V) Run(int threads)
            {
                KernelOptions.MaxThreads = threads;
                var (p, v) = ((float[])parameter.Clone(), (float[])velocity.Clone());
                OptimizerKernels.SgdMomentum<float>(p, v, gradient, 0.9f, -0.01f);
                return (p, v);
            }
            var one = Run(1);
            foreach (int threads in new[] { 2, 3 })
            {
                var split = Run(threads);
                Assert.Equal(one.P, split.P);
                Assert.Equal(one.V, split.V);
            }
        }
        finally
        {
            KernelOptions.MaxThreads = previous;
        }
    }
}

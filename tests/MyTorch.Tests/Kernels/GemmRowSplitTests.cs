using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>A large single-row product is split by columns over threads; the split must not change a bit.</summary>
public class GemmRowSplitTests
{
    [Theory]
    [InlineData(false, false, 700, 784)]
    [InlineData(true, false, 1024, 784)]
    [InlineData(false, true, 3000, 200)]
    [InlineData(true, true, 477, 1100)]
    [InlineData(false, true, 9000, 64)] // halves wider than the stack row
    public void SplitSingleRow_IsBitIdenticalToOneThread_AndMatchesTheReference(bool transposeA, bool accumulate, int n, int k)
    {
        var generator = new Generator(11);
        int lda = transposeA ? 3 : k;
        var a = Tensor.Normal([transposeA ? k * lda : k], 0, 1, generator).ToArray();
        var b = Tensor.Normal([k * (n + 5)], 0, 1, generator).ToArray();
        var start = Tensor.Normal([n], 0, 1, generator).ToArray();
        Assert.True((long)n * k >= Gemm.ParallelRowThreshold);

        float[] Run(int threads)
        {
            var c = (float[])start.Clone();
            Gemm.MultiplyCore<float>(transposeA, false, 1, n, k, a, lda, b, n + 5, c, n, accumulate, threads);
            return c;
        }

        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
        var reference = (float[])start.Clone();
        Gemm.MultiplyReference<float>(transposeA, false, 1, n, k, a, lda, b, n + 5, reference, n, accumulate);
        for (int j = 0; j < n; j++) Assert.Equal(reference[j], one[j], 2e-3f);
    }
}

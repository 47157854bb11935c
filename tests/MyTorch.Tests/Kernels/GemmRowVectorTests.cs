using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>The single-row path (batch-1 inference) against the scalar reference.</summary>
public class GemmRowVectorTests
{
    [Theory]
    [InlineData(false, false, 784, 256)]
    [InlineData(true, false, 784, 256)]
    [InlineData(false, true, 128, 10)]
    [InlineData(true, true, 300, 77)]
    public void OneRowMatchesTheReference(bool transposeA, bool accumulate, int k, int n)
    {
        var generator = new Generator(9);
        int lda = transposeA ? 3 : k; // a transposed row is a column: every lda-th element
        var a = Enumerable.Range(0, transposeA ? k * lda : k).Select(_ => (float)(generator.NextDouble() - 0.5)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)(generator.NextDouble() - 0.5)).ToArray();
        var start = Enumerable.Range(0, n).Select(_ => (float)generator.NextDouble()).ToArray();
        var expected = (float[])start.Clone();
        var actual = (float[])start.Clone();
        Gemm.MultiplyReference<float>(transposeA, false, 1, n, k, a, lda, b, n, expected, n, accumulate);
        Gemm.Multiply<float>(transposeA, false, 1, n, k, a, lda, b, n, actual, n, accumulate);
        for (int j = 0; j < n; j++)
            Assert.True(Math.Abs(expected[j] - actual[j]) <= 1e-5 * (1 + Math.Abs(expected[j])) * Math.Sqrt(k), $"column {j}: {actual[j]} vs {expected[j]}");

        var ad = a.Select(v => (double)v).ToArray();
        var bd = b.Select(v => (double)v).ToArray();
        var expectedDouble = start.Select(v => (double)v).ToArray();
        var actualDouble = (double[])expectedDouble.Clone();
        Gemm.MultiplyReference<double>(transposeA, false, 1, n, k, ad, lda, bd, n, expectedDouble, n, accumulate);
        Gemm.Multiply<double>(transposeA, false, 1, n, k, ad, lda, bd, n, actualDouble, n, accumulate);
        for (int j = 0; j < n; j++) Assert.Equal(expectedDouble[j], actualDouble[j], 1e-12);
    }
}

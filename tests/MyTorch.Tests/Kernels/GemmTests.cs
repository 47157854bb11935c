using System.Numerics;
using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

public class GemmTests
{
    private static readonly int[] EdgeSizes = [1, 2, 5, 6, 7, 15, 16, 17, 31, 33, 65];

    private static readonly int[] SomeEdgeSizes = [1, 2, 6, 7, 16, 17, 33];

    /// <summary>Around double's NR (8 or 16) and MR.</summary>
    private static readonly int[] DoubleEdgeSizes = [1, 5, 6, 7, 9, 16, 17, 33];

    private static void AssertBitIdentical<T>(T[] expected, T[] actual)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(GemmProblem.BitEqual(expected[i], actual[i]), $"Element {i} differs: {expected[i]} vs {actual[i]}");
        }
    }

    public static TheoryData<bool, bool> Transposes => new()
    {
        { false, false },
        { false, true },
        { true, false },
        { true, true },
    };

    private static void CheckEdgeSizes<T>(bool transposeA, bool transposeB, bool forcePacked)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The packed path is forced on every shape (float: the full grid); the default path (a direct loop below the
        // cut-off) gets a subset.
        int[] sizes = !forcePacked ? SomeEdgeSizes : typeof(T) == typeof(float) ? EdgeSizes : DoubleEdgeSizes;
        int seed = 0;
        foreach (int m in sizes)
        {
            foreach (int n in sizes)
            {
                foreach (int k in sizes)
                {
                    seed++;
                    bool accumulate = seed % 3 == 0;
                    int pad = seed % 5 == 0 ? 3 : 0;
                    var problem = new GemmProblem<T>(seed, transposeA, transposeB, m, n, k, pad, pad == 0 ? 0 : 1, pad,
                        accumulate);
                    var expected = problem.RunReference();
                    var actual = problem.Run(1, forcePacked ? 0 : Gemm.DirectThreshold);
                    problem.AssertClose(expected, actual);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Float_EdgeSizes_PackedPath_MatchesReference(bool transposeA, bool transposeB) =>
        CheckEdgeSizes<float>(transposeA, transposeB, forcePacked: true);

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Double_EdgeSizes_PackedPath_MatchesReference(bool transposeA, bool transposeB) =>
        CheckEdgeSizes<double>(transposeA, transposeB, forcePacked: true);

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Float_EdgeSizes_DefaultPath_MatchesReference(bool transposeA, bool transposeB) =>
        CheckEdgeSizes<float>(transposeA, transposeB, forcePacked: false);

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Double_EdgeSizes_DefaultPath_MatchesReference(bool transposeA, bool transposeB) =>
        CheckEdgeSizes<double>(transposeA, transposeB, forcePacked: false);

    public static TheoryData<bool, bool, int, int, int, bool> LargeFloatCases => new()
    {
        // m, n, k: k = 784 crosses several k blocks; 300 rows cross an MC block.
        { false, false, 128, 256, 784, false },
        { true, false, 64, 96, 784, true },
        { false, true, 300, 200, 257, false },
        { true, true, 300, 200, 257, true },
        { false, false, 7, 4100, 9, false }, // wider than one NC block
        { false, true, 1, 300, 700, true }, // vector-matrix
        { true, false, 250, 1, 300, false }, // matrix-vector
    };

    [Theory]
    [MemberData(nameof(LargeFloatCases))]
    public void Float_LargerShapes_MatchReference(bool transposeA, bool transposeB, int m, int n, int k,
        bool accumulate)
    {
        var problem = new GemmProblem<float>(42, transposeA, transposeB, m, n, k, 2, 3, 1, accumulate);
        problem.AssertClose(problem.RunReference(), problem.RunPublic());
    }

    public static TheoryData<bool, bool, int, int, int, bool> LargeDoubleCases => new()
    {
        { false, false, 300, 200, 257, false },
        { true, true, 300, 200, 257, true },
        { false, true, 65, 2050, 11, false }, // wider than one NC block
        { true, false, 100, 150, 520, true },
    };

    [Theory]
    [MemberData(nameof(LargeDoubleCases))]
    public void Double_LargerShapes_MatchReference(bool transposeA, bool transposeB, int m, int n, int k,
        bool accumulate)
    {
        var problem = new GemmProblem<double>(7, transposeA, transposeB, m, n, k, 1, 0, 4, accumulate);
        problem.AssertClose(problem.RunReference(), problem.RunPublic());
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Float_ResultIsBitIdenticalForAnyThreadCount(bool transposeA, bool transposeB)
    {
        // 8.2M multiply-adds: above the parallel cut-off, enough for 4 threads; several k blocks.
        var problem = new GemmProblem<float>(3, transposeA, transposeB, 131, 157, 400, 1, 2, 3,
            accumulate: transposeA);
        var single = problem.Run(maxThreads: 1);
        AssertBitIdentical(single, problem.Run(maxThreads: 2));
        AssertBitIdentical(single, problem.Run(maxThreads: 3));
        AssertBitIdentical(single, problem.Run(maxThreads: 4));
    }

    [Fact]
    public void Double_ResultIsBitIdenticalForAnyThreadCount()
    {
        var problem = new GemmProblem<double>(4, false, true, 100, 110, 230, 0, 0, 0, accumulate: true);
        var single = problem.Run(maxThreads: 1);
        AssertBitIdentical(single, problem.Run(maxThreads: 2));
        AssertBitIdentical(single, problem.Run(maxThreads: 5));
    }

    [Fact]
    public void ZeroSizes_AreNoOps_AndZeroKClearsC()
    {
        // m == 0 and n == 0 with empty spans.
        Gemm.Multiply<float>(false, false, 0, 5, 3, [], 3, new float[15], 5, [], 5);
        Gemm.Multiply<float>(false, false, 4, 0, 3, new float[12], 3, [], 0, [], 0);

        // k == 0: C = 0 without accumulation, unchanged with it (only the m x n part; padding untouched).
        float[] c = [1, 2, 9, 3, 4, 9];
        Gemm.Multiply<float>(false, false, 2, 2, 0, [], 0, [], 2, c, 3, accumulate: true);
        Assert.Equal([1f, 2, 9, 3, 4, 9], c);
        c[0] = float.NaN;
        Gemm.Multiply<float>(true, true, 2, 2, 0, [], 2, [], 0, c, 3);
        Assert.Equal([0f, 0, 9, 0, 0, 9], c);
    }

    [Fact]
    public void SmallKnownProduct()
    {
        // [1 2 3; 4 5 6] * [7 8; 9 10; 11 12] = [58 64; 139 154]
        double[] a = [1, 2, 3, 4, 5, 6];
        double[] b = [7, 8, 9, 10, 11, 12];
        var c = new double[4];
        Gemm.Multiply<double>(false, false, 2, 2, 3, a, 3, b, 2, c, 2);
        Assert.Equal([58.0, 64, 139, 154], c);

        // A^T stored as 3 x 2, B^T stored as 2 x 3, accumulate onto ones.
        double[] at = [1, 4, 2, 5, 3, 6];
        double[] bt = [7, 9, 11, 8, 10, 12];
        Array.Fill(c, 1.0);
        Gemm.Multiply<double>(true, true, 2, 2, 3, at, 2, bt, 3, c, 2, accumulate: true);
        Assert.Equal([59.0, 65, 140, 155], c);
    }

    [Fact]
    public void SteadyStateSingleThreadedCallsDoNotAllocate()
    {
        var problem = new GemmProblem<float>(9, false, false, 64, 80, 96, 0, 0, 0, false);
        var c = new float[64 * 80];
        var a = problem.ASpan.ToArray();
        var b = problem.BSpan.ToArray();
        Gemm.MultiplyCore<float>(false, false, 64, 80, 96, a, 96, b, 80, c, 80, false, 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++)
        {
            Gemm.MultiplyCore<float>(false, false, 64, 80, 96, a, 96, b, 80, c, 80, false, 1);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void UnsupportedType_Throws()
    {
        var x = new Half[4];
        Assert.Throws<NotSupportedException>(() => Gemm.Multiply<Half>(false, false, 2, 2, 2, x, 2, x, 2, new Half[4], 2));

        // The reference works for any IEEE type.
        Half[] a = [(Half)1, (Half)2, (Half)3, (Half)4];
        var c = new Half[4];
        Gemm.MultiplyReference<Half>(false, false, 2, 2, 2, a, 2, a, 2, c, 2);
        Assert.Equal([(Half)7, (Half)10, (Half)15, (Half)22], c);
    }

    [Theory]
    [InlineData(-1, 2, 2, "m")]
    [InlineData(2, -3, 2, "n")]
    [InlineData(2, 2, -4, "k")]
    public void NegativeSize_Throws(int m, int n, int k, string name)
    {
        var buffer = new float[64];
        var ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Multiply<float>(false, false, m, n, k, buffer, 8, buffer, 8, new float[64], 8));
        Assert.Equal(name, ex.ParamName);
        Assert.Contains($"{name} = {Math.Min(m, Math.Min(n, k))}", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.MultiplyReference<float>(false, false, m, n, k, buffer, 8, buffer, 8, new float[64], 8));
    }

    [Fact]
    public void LeadingDimensionTooSmall_Throws()
    {
        var buf = new float[1000];
        var ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Multiply<float>(false, false, 3, 4, 5, buf, 4, buf, 4, new float[100], 4));
        Assert.Equal("lda", ex.ParamName);
        Assert.Contains("lda = 4", ex.Message, StringComparison.Ordinal);
        Assert.Contains("5", ex.Message, StringComparison.Ordinal);

        // Transposed A is k x m, so lda >= m = 3 suffices; B transposed is n x k, so ldb must be >= k = 5.
        ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Multiply<float>(true, true, 3, 4, 5, buf, 3, buf, 4, new float[100], 4));
        Assert.Equal("ldb", ex.ParamName);
        Assert.Contains("ldb = 4", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Multiply<float>(false, false, 3, 4, 5, buf, 5, buf, 4, new float[100], 3));
        Assert.Equal("ldc", ex.ParamName);
        Assert.Contains("ldc = 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SpanTooShort_Throws()
    {
        // A: 3 x 5 with lda 7 needs 2 * 7 + 5 = 19 elements.
        var ex = Assert.Throws<ArgumentException>(
            () => Gemm.Multiply<float>(false, false, 3, 4, 5, new float[18], 7, new float[20], 4, new float[12], 4));
        Assert.Equal("a", ex.ParamName);
        Assert.Contains("18", ex.Message, StringComparison.Ordinal);
        Assert.Contains("19", ex.Message, StringComparison.Ordinal);

        // B transposed: 4 x 5 with ldb 5 needs 20.
        ex = Assert.Throws<ArgumentException>(
            () => Gemm.Multiply<float>(false, true, 3, 4, 5, new float[15], 5, new float[19], 5, new float[12], 4));
        Assert.Equal("b", ex.ParamName);
        Assert.Contains("20", ex.Message, StringComparison.Ordinal);

        // C: 3 x 4 with ldc 6 needs 16.
        ex = Assert.Throws<ArgumentException>(
            () => Gemm.Multiply<float>(false, false, 3, 4, 5, new float[15], 5, new float[20], 4, new float[15], 6));
        Assert.Equal("c", ex.ParamName);
        Assert.Contains("16", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OverlappingOutput_Throws()
    {
        var buffer = new float[100];
        var ex = Assert.Throws<ArgumentException>(
            () => Gemm.Multiply<float>(false, false, 4, 4, 4, buffer.AsSpan(0, 16), 4, new float[16], 4,
                buffer.AsSpan(10, 16), 4));
        Assert.Equal("c", ex.ParamName);

        // Disjoint parts of one buffer are fine.
        Gemm.Multiply<float>(false, false, 4, 4, 4, buffer.AsSpan(0, 16), 4, buffer.AsSpan(16, 16), 4,
            buffer.AsSpan(32, 16), 4);
    }

    [Fact]
    public void MaxThreads_RejectsValuesBelowOne()
    {
        int before = KernelOptions.MaxThreads;
        Assert.True(before >= 1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => KernelOptions.MaxThreads = 0);
        Assert.Contains("0", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => KernelOptions.MaxThreads = -7);
        Assert.Contains("-7", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, KernelOptions.MaxThreads);

        KernelOptions.MaxThreads = before; // setting a valid value round-trips
        Assert.Equal(before, KernelOptions.MaxThreads);
    }

    [Theory]
    [InlineData("4", 4)]
    [InlineData(" 3 ", 3)]
    [InlineData("0", null)]
    [InlineData("-2", null)]
    [InlineData("two", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void ThreadCountEnvironmentValue_IsParsed(string? text, int? expected) =>
        Assert.Equal(expected, KernelOptions.ParseThreadCount(text));
}

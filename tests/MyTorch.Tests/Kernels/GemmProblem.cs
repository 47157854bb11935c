using System.Numerics;
using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>Helpers of <see cref="GemmProblem{T}"/> that do not depend on its element type.</summary>
internal static class GemmProblem
{
    /// <summary>Bitwise equality (NaN payloads included), for padding that must come back untouched.</summary>
    public static bool BitEqual<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? BitConverter.SingleToInt32Bits((float)(object)x) == BitConverter.SingleToInt32Bits((float)(object)y)
            : BitConverter.DoubleToInt64Bits((double)(object)x) == BitConverter.DoubleToInt64Bits((double)(object)y);
}

/// <summary>
/// One GEMM problem laid out in padded buffers: each operand sits inside a larger array whose padding (before,
/// between rows past the leading dimension, and after) holds NaN, so a kernel that reads outside the matrix
/// poisons the result, and C's padding must come back untouched.
/// </summary>
internal sealed class GemmProblem<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Guard = 5;

    public GemmProblem(int seed, bool transposeA, bool transposeB, int m, int n, int k, int padA, int padB, int padC,
        bool accumulate)
    {
        var rng = new Random(seed);
        TransposeA = transposeA;
        TransposeB = transposeB;
        M = m;
        N = n;
        K = k;
        Accumulate = accumulate;
        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        Lda = aCols + padA;
        Ldb = bCols + padB;
        Ldc = n + padC;
        A = Make(rng, aRows, aCols, Lda, T.NaN);
        B = Make(rng, bRows, bCols, Ldb, T.NaN);

        // Without accumulation C starts as NaN, which must be overwritten, never read.
        C = Make(rng, m, n, Ldc, T.NaN, accumulate ? null : T.NaN);
    }

    public bool TransposeA { get; }

    public bool TransposeB { get; }

    public int M { get; }

    public int N { get; }

    public int K { get; }

    public int Lda { get; }

    public int Ldb { get; }

    public int Ldc { get; }

    public bool Accumulate { get; }

    public T[] A { get; }

    public T[] B { get; }

    public T[] C { get; }

    public static int Length(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : ((rows - 1) * ld) + cols;

    public ReadOnlySpan<T> ASpan => A.AsSpan(Guard, Length(TransposeA ? K : M, TransposeA ? M : K, Lda));

    public ReadOnlySpan<T> BSpan => B.AsSpan(Guard, Length(TransposeB ? N : K, TransposeB ? K : N, Ldb));

    public T[] Run(int maxThreads = 1, long directThreshold = Gemm.DirectThreshold, Gemm.PackedB<T>? packedB = null)
    {
        var c = (T[])C.Clone();
        Gemm.MultiplyCore(TransposeA, TransposeB, M, N, K, ASpan, Lda, BSpan, Ldb,
            c.AsSpan(Guard, Length(M, N, Ldc)), Ldc, Accumulate, maxThreads, directThreshold, packedB);
        return c;
    }

    public T[] RunPackedB(int maxThreads, Gemm.PackedB<T>? packedB)
    {
        var c = (T[])C.Clone();
        Gemm.MultiplyPackedB(TransposeA, TransposeB, M, N, K, ASpan, Lda, BSpan, Ldb,
            c.AsSpan(Guard, Length(M, N, Ldc)), Ldc, Accumulate, maxThreads, packedB);
        return c;
    }

    public T[] RunPublic()
    {
        var c = (T[])C.Clone();
        Gemm.Multiply(TransposeA, TransposeB, M, N, K, ASpan, Lda, BSpan, Ldb,
            c.AsSpan(Guard, Length(M, N, Ldc)), Ldc, Accumulate);
        return c;
    }

    public T[] RunReference()
    {
        var c = (T[])C.Clone();
        Gemm.MultiplyReference(TransposeA, TransposeB, M, N, K, ASpan, Lda, BSpan, Ldb,
            c.AsSpan(Guard, Length(M, N, Ldc)), Ldc, Accumulate);
        return c;
    }

    /// <summary>Checks <paramref name="actual"/> against <paramref name="expected"/> with a rounding-error bound.</summary>
    public void AssertClose(T[] expected, T[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double eps = typeof(T) == typeof(float) ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);

        // Per element, |C0| + sum_p |a_ip * b_pj| bounds every partial sum; both results carry at most about
        // k + 2 roundings of it.
        double factor = 2 * (K + 2) * eps;
        double[] magnitude = Magnitudes();
        for (int idx = 0; idx < actual.Length; idx++)
        {
            int rel = idx - Guard;
            int i = rel >= 0 && Ldc > 0 ? rel / Ldc : -1;
            int j = rel >= 0 && Ldc > 0 ? rel % Ldc : -1;
            if (rel < 0 || i >= M || j >= N)
            {
                // Padding of C must be untouched (NaN compares by bits).
                Assert.True(GemmProblem.BitEqual(C[idx], actual[idx]), $"C padding at {idx} was written for {Describe()}");
                continue;
            }

            double e = double.CreateTruncating(expected[idx]);
            double x = double.CreateTruncating(actual[idx]);
            double tolerance = (factor * magnitude[idx]) + double.Epsilon;
            if (!(Math.Abs(e - x) <= tolerance))
            {
                Assert.Fail($"Mismatch at ({i},{j}) for {Describe()}: expected {e}, got {x}, tolerance {tolerance}");
            }
        }
    }

    /// <summary>|C0| + |op(A)| * |op(B)| in double, laid out like C.</summary>
    private double[] Magnitudes()
    {
        double[] absA = Abs(A), absB = Abs(B), result = Accumulate ? Abs(C) : new double[C.Length];
        nint sai = TransposeA ? 1 : Lda, sap = TransposeA ? Lda : 1;
        nint sbp = TransposeB ? 1 : Ldb, sbj = TransposeB ? Ldb : 1;
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double sum = 0;
                nint ia = Guard + (i * sai), ib = Guard + (j * sbj);
                for (int p = 0; p < K; p++, ia += sap, ib += sbp)
                {
                    sum += absA[ia] * absB[ib];
                }

                result[Guard + (i * Ldc) + j] += sum;
            }
        }

        return result;
    }

    private static double[] Abs(T[] values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.IsNaN(values[i]) ? 0 : Math.Abs(double.CreateTruncating(values[i]));
        }

        return result;
    }

    public string Describe() =>
        $"{typeof(T).Name} path={KernelOptions.Path} tA={TransposeA} tB={TransposeB} m={M} n={N} k={K} lda={Lda} ldb={Ldb} ldc={Ldc} acc={Accumulate}";

    private static T[] Make(Random rng, int rows, int cols, int ld, T padding, T? fill = null)
    {
        var data = new T[Guard + Length(rows, cols, ld) + Guard];
        Array.Fill(data, padding);
        for (int r = 0; r < rows; r++)
        {
            for (int col = 0; col < cols; col++)
            {
                data[Guard + (r * ld) + col] = fill ?? T.CreateChecked((rng.NextDouble() * 2) - 1);
            }
        }

        return data;
    }
}

using System.Numerics;
using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>
/// The GEMM on every kernel path (Scalar, Vector128, Vector256, Vector512, where this machine accelerates them)
/// against <see cref="Gemm.MultiplyReference{T}"/>: every transpose combination, with and without accumulation, and
/// sizes that leave every possible remainder of the micro-tile (m modulo MR = 6, or 12 on the Vector512 path; n modulo
/// NR up to twice the widest NR) and of the k blocks (KC = 256, or on the Vector512 path 384 for float and 192 for
/// double).
/// </summary>
[Collection(KernelPathSerial.Name)]
public class GemmKernelPathTests
{
    /// <summary>Depths around one and two k blocks of every KC (192, 256, 384), and a few small ones.</summary>
    private static readonly int[] Depths = [1, 2, 3, 7, 191, 192, 193, 257, 383, 384, 385, 513, 769];

    private static readonly int[] SmallDepths = [1, 2, 3, 7];

    private static readonly (bool A, bool B)[] Transposes = [(false, false), (false, true), (true, false), (true, true)];

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void Float_EveryMicroTileLeftover_MatchesTheReference(KernelPath path) =>
        KernelPaths.Run(path, SweepTileLeftovers<float>);

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void Double_EveryMicroTileLeftover_MatchesTheReference(KernelPath path) =>
        KernelPaths.Run(path, SweepTileLeftovers<double>);

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void Float_DepthsAcrossKBlocks_MatchTheReference(KernelPath path) =>
        KernelPaths.Run(path, SweepDepths<float>);

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void Double_DepthsAcrossKBlocks_MatchTheReference(KernelPath path) =>
        KernelPaths.Run(path, SweepDepths<double>);

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void SingleRow_EveryColumnLeftover_MatchesTheReferenceAndIsBitIdenticalToScalar(KernelPath path)
    {
        CheckSingleRow<float>(path);
        CheckSingleRow<double>(path);
    }

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void ParallelSplit_IsBitIdenticalToOneThread(KernelPath path) =>
        KernelPaths.Run(path, () =>
        {
            // 2.7M multiply-adds: above the parallel cut-off; two k blocks.
            var problem = new Problem<float>(11, false, true, 128, 160, 130, 1, 2, 3, accumulate: true);
            var single = problem.Run(maxThreads: 1);
            problem.AssertClose(problem.RunReference(), single);
            Assert.Equal(single, problem.Run(maxThreads: 2));
            Assert.Equal(single, problem.Run(maxThreads: 3));
        });

    /// <summary>m = 1..25 (two strips and every remainder of MR = 6 and 12) by n = 1..2 NR(Vector512) + 5, on the packed path.</summary>
    private static void SweepTileLeftovers<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int widestNr = 2 * KernelPaths.WidestCount<T>();
        int seed = 0;
        for (int m = 1; m <= 25; m++)
        {
            for (int n = 1; n <= (2 * widestNr) + 5; n++)
            {
                foreach (var (ta, tb) in Transposes)
                {
                    foreach (bool accumulate in (bool[])[false, true])
                    {
                        seed++;
                        int k = SmallDepths[seed % SmallDepths.Length];
                        int pad = seed % 4;
                        var problem = new Problem<T>(seed, ta, tb, m, n, k, pad, (pad + 1) % 3, pad % 2, accumulate);
                        problem.AssertClose(problem.RunReference(), problem.Run(maxThreads: 1, directThreshold: 0));
                    }
                }
            }
        }
    }

    /// <summary>Full and partial tiles at depths across the k blocks, through the public entry point.</summary>
    private static void SweepDepths<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int widestNr = 2 * KernelPaths.WidestCount<T>();
        (int M, int N)[] shapes = [(25, (2 * widestNr) + 3), (13, (2 * widestNr) + 3), (6, widestNr / 2), (1, widestNr + 5)];
        int seed = 1000;
        foreach (int k in Depths)
        {
            foreach (var (m, n) in shapes)
            {
                foreach (var (ta, tb) in Transposes)
                {
                    foreach (bool accumulate in (bool[])[false, true])
                    {
                        seed++;
                        var problem = new Problem<T>(seed, ta, tb, m, n, k, seed % 3, 0, 1, accumulate);
                        problem.AssertClose(problem.RunReference(), problem.RunPublic());
                        if (k < 8)
                        {
                            // Small products take the direct loop by default; force the packed kernel too.
                            problem.AssertClose(problem.RunReference(), problem.Run(maxThreads: 1, directThreshold: 0));
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// One row times a matrix (batch-1 inference): n = 1..6 widest vectors + 3 covers every vector width's remainder, and
    /// k = 1..4, 7, 17 every remainder of the four-row sweeps; the path must not change a single bit, as each column is the
    /// same sequence of multiplies and adds.
    /// </summary>
    private static void CheckSingleRow<T>(KernelPath path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int maxN = (6 * KernelPaths.WidestCount<T>()) + 3;
        int seed = 5000;
        foreach (int k in (int[])[1, 2, 3, 4, 7, 17])
        {
            for (int n = 1; n <= maxN; n++)
            {
                foreach (bool ta in (bool[])[false, true])
                {
                    foreach (bool accumulate in (bool[])[false, true])
                    {
                        seed++;
                        var problem = new Problem<T>(seed, ta, false, 1, n, k, ta ? 2 : 0, seed % 2, 0, accumulate);
                        T[]? scalar = null;
                        KernelPaths.Run(KernelPath.Scalar, () => scalar = problem.Run(maxThreads: 1, directThreshold: 0));
                        KernelPaths.Run(path, () =>
                        {
                            var actual = problem.Run(maxThreads: 1, directThreshold: 0);
                            problem.AssertClose(problem.RunReference(), actual);
                            Assert.True(scalar!.AsSpan().SequenceEqual(actual), $"{path} differs from Scalar for {problem.Describe()}");
                        });
                    }
                }
            }
        }
    }

    /// <summary>
    /// One problem in NaN-padded buffers: padding before, between rows (past the leading dimension) and after each
    /// operand, so a kernel that reads outside a matrix poisons the result, and C's padding must come back untouched.
    /// </summary>
    private sealed class Problem<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private const int Guard = 7;
        private readonly T[] _a, _b, _c;

        public Problem(int seed, bool transposeA, bool transposeB, int m, int n, int k, int padA, int padB, int padC, bool accumulate)
        {
            var random = new Random(seed);
            (TransposeA, TransposeB, M, N, K, Accumulate) = (transposeA, transposeB, m, n, k, accumulate);
            int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
            int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
            (Lda, Ldb, Ldc) = (aCols + padA, bCols + padB, n + padC);
            _a = Make(random, aRows, aCols, Lda, fill: false);
            _b = Make(random, bRows, bCols, Ldb, fill: false);
            _c = Make(random, m, n, Ldc, fill: !accumulate); // without accumulation C starts as NaN and must be overwritten
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

        private ReadOnlySpan<T> A => _a.AsSpan(Guard, Length(TransposeA ? K : M, TransposeA ? M : K, Lda));

        private ReadOnlySpan<T> B => _b.AsSpan(Guard, Length(TransposeB ? N : K, TransposeB ? K : N, Ldb));

        public T[] Run(int maxThreads, long directThreshold = Gemm.DirectThreshold)
        {
            var c = (T[])_c.Clone();
            Gemm.MultiplyCore(TransposeA, TransposeB, M, N, K, A, Lda, B, Ldb, c.AsSpan(Guard, Length(M, N, Ldc)), Ldc, Accumulate,
                maxThreads, directThreshold);
            return c;
        }

        public T[] RunPublic()
        {
            var c = (T[])_c.Clone();
            Gemm.Multiply(TransposeA, TransposeB, M, N, K, A, Lda, B, Ldb, c.AsSpan(Guard, Length(M, N, Ldc)), Ldc, Accumulate);
            return c;
        }

        public T[] RunReference()
        {
            var c = (T[])_c.Clone();
            Gemm.MultiplyReference(TransposeA, TransposeB, M, N, K, A, Lda, B, Ldb, c.AsSpan(Guard, Length(M, N, Ldc)), Ldc, Accumulate);
            return c;
        }

        public string Describe() =>
            $"{typeof(T).Name} path={KernelOptions.Path} tA={TransposeA} tB={TransposeB} m={M} n={N} k={K} lda={Lda} ldb={Ldb} ldc={Ldc} acc={Accumulate}";

        /// <summary>Each element within 2 (k + 2) eps (|C0| + sum_p |a_ip b_pj|) of the reference; padding bit-identical.</summary>
        public void AssertClose(T[] expected, T[] actual)
        {
            double eps = typeof(T) == typeof(float) ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);
            double factor = 2 * (K + 2) * eps;
            nint sai = TransposeA ? 1 : Lda, sap = TransposeA ? Lda : 1;
            nint sbp = TransposeB ? 1 : Ldb, sbj = TransposeB ? Ldb : 1;
            for (int idx = 0; idx < actual.Length; idx++)
            {
                int rel = idx - Guard;
                int i = rel >= 0 ? rel / Ldc : -1, j = rel >= 0 ? rel % Ldc : -1;
                if (rel < 0 || i >= M || j >= N)
                {
                    Assert.True(_c[idx].Equals(actual[idx]), $"C's padding at {idx} was written: {Describe()}");
                    continue;
                }

                double magnitude = Accumulate ? Math.Abs(double.CreateTruncating(_c[idx])) : 0;
                for (int p = 0; p < K; p++)
                {
                    magnitude += Math.Abs(double.CreateTruncating(_a[Guard + (i * sai) + (p * sap)]) * double.CreateTruncating(_b[Guard + (p * sbp) + (j * sbj)]));
                }

                double e = double.CreateTruncating(expected[idx]), x = double.CreateTruncating(actual[idx]);
                double tolerance = (factor * magnitude) + double.Epsilon;
                if (!(Math.Abs(e - x) <= tolerance))
                {
                    Assert.Fail($"({i}, {j}): expected {e}, got {x}, tolerance {tolerance}: {Describe()}");
                }
            }
        }

        private static int Length(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : ((rows - 1) * ld) + cols;

        private static T[] Make(Random random, int rows, int cols, int ld, bool fill)
        {
            var data = new T[Guard + Length(rows, cols, ld) + Guard];
            Array.Fill(data, T.NaN);
            for (int r = 0; r < rows; r++)
            {
                for (int col = 0; col < cols; col++)
                {
                    data[Guard + (r * ld) + col] = fill ? T.NaN : T.CreateTruncating((random.NextDouble() * 2) - 1);
                }
            }

            return data;
        }
    }
}

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
    public void SingleRow_BAtEveryOffsetInACacheLine_IsBitIdenticalToScalar(KernelPath path)
    {
        CheckSingleRowOffsets<float>(path);
        CheckSingleRowOffsets<double>(path);
    }

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void ParallelSplit_IsBitIdenticalToOneThread(KernelPath path) =>
        KernelPaths.Run(path, () =>
        {
            // 2.7M multiply-adds: above the parallel cut-off; two k blocks.
            var problem = new GemmProblem<float>(11, false, true, 128, 160, 130, 1, 2, 3, accumulate: true);
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
                        var problem = new GemmProblem<T>(seed, ta, tb, m, n, k, pad, (pad + 1) % 3, pad % 2, accumulate);
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
                        var problem = new GemmProblem<T>(seed, ta, tb, m, n, k, seed % 3, 0, 1, accumulate);
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
    /// One row times a matrix (batch-1 inference): n = 1..16 widest vectors + 3 covers every mix of the sweep's eight-vector
    /// blocks of each width, its single vectors and single columns (blocks of 8 + 4 + 2 widest vectors and singles of
    /// 1 + 1/2 + 1/4 come to under 16); the path must not change a single bit, as each column is the same sequence of
    /// multiplies and adds.
    /// </summary>
    private static void CheckSingleRow<T>(KernelPath path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int maxN = (16 * KernelPaths.WidestCount<T>()) + 3;
        int seed = 5000;
        foreach (int k in (int[])[1, 3, 17])
        {
            for (int n = 1; n <= maxN; n++)
            {
                foreach (bool ta in (bool[])[false, true])
                {
                    foreach (bool accumulate in (bool[])[false, true])
                    {
                        seed++;
                        var problem = new GemmProblem<T>(seed, ta, false, 1, n, k, ta ? 2 : 0, seed % 2, 0, accumulate);
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
    /// The single-row sweep with B starting at each element of a cache line, with row strides that keep the rows aligned
    /// alike (ldb * size a multiple of 64) and that do not, and widths around a cache line: every path gives the scalar
    /// path's bits. With n = 300 the product is deep enough (k = 450) for two threads to split the columns, and they must
    /// agree too.
    /// </summary>
    private static void CheckSingleRowOffsets<T>(KernelPath path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int perLine = 64 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var rng = new Random(77);
        T[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => T.CreateTruncating(rng.NextDouble() - 0.5))];
        foreach (int n in (int[])[1, perLine - 1, perLine + 3, (3 * perLine) + 5, 300])
        {
            int k = n == 300 ? 450 : 9;
            Assert.True(n < 300 || (long)n * k >= Gemm.ParallelRowThreshold, "n = 300 must be split over two threads");
            foreach (int ldb in (int[])[n + (perLine - (n % perLine)) % perLine, n + 1])
            {
                var a = Values(k);
                var b = Values((k * ldb) + perLine);
                var start = Values(n + perLine);
                for (int offset = 0; offset < perLine; offset++)
                {
                    foreach (bool accumulate in (bool[])[false, true])
                    {
                        T[] Run(int threads)
                        {
                            var c = (T[])start.Clone();
                            Gemm.MultiplyCore<T>(false, false, 1, n, k, a, k, b.AsSpan(offset), ldb, c.AsSpan(offset % 3), n, accumulate, threads, directThreshold: 0);
                            return c;
                        }

                        var reference = (T[])start.Clone();
                        Gemm.MultiplyReference<T>(false, false, 1, n, k, a, k, b.AsSpan(offset), ldb, reference.AsSpan(offset % 3), n, accumulate);
                        T[]? scalar = null;
                        KernelPaths.Run(KernelPath.Scalar, () => scalar = Run(1));
                        for (int j = 0; j < reference.Length; j++)
                            Assert.True(T.Abs(reference[j] - scalar![j]) <= T.CreateTruncating(1e-5 * Math.Max(1, k / 9.0)), $"column {j - (offset % 3)} differs from the reference: n {n}, ldb {ldb}, B offset {offset}");
                        KernelPaths.Run(path, () =>
                        {
                            Assert.True(scalar!.AsSpan().SequenceEqual(Run(1)), $"{path} differs from Scalar: n {n}, ldb {ldb}, B offset {offset}, accumulate {accumulate}");
                            Assert.True(scalar!.AsSpan().SequenceEqual(Run(2)), $"{path} on 2 threads differs from Scalar: n {n}, ldb {ldb}, B offset {offset}");
                        });
                    }
                }
            }
        }
    }
}

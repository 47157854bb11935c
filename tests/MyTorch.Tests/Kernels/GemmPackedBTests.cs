using System.Numerics;
using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>
/// B packed in advance (<see cref="Gemm.PackedB{T}"/>, what frozen inference weights use) on every kernel path: the
/// products multiply from the copy, and give the bits of packing B at the call, for every block the packing makes.
/// </summary>
[Collection(KernelPathSerial.Name)]
public class GemmPackedBTests
{
    /// <summary>
    /// (m, n, k) on the packed path: one block; several k blocks on every path (KC 256, 384 or 192) with a short last
    /// one; two column blocks on the Vector512 path (NC 512) with a leftover NR strip; two row blocks (MC 144 for
    /// float); micro-tile leftovers in m.
    /// </summary>
    private static readonly (int M, int N, int K)[] Shapes = [(13, 40, 30), (25, 530, 900), (130, 70, 300), (150, 33, 20), (48, 96, 257)];

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void PackedInAdvance_GivesTheBitsOfPackingAtTheCall(KernelPath path) =>
        KernelPaths.Run(path, () =>
        {
            SameBits<float>();
            SameBits<double>();
        });

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void Products_MultiplyFromTheCopy_NotFromB(KernelPath path) =>
        KernelPaths.Run(path, () =>
        {
            FromTheCopy<float>();
            FromTheCopy<double>();
        });

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void EveryLeftoverOfTheTile_GivesTheBitsOfPackingAtTheCall(KernelPath path) =>
        KernelPaths.Run(path, () =>
        {
            Leftovers<float>();
            Leftovers<double>();
        });

    [Fact]
    public void ACopyForAnotherPath_IsLeftAlone()
    {
        var widest = KernelPaths.Supported[^1];
        var problem = new GemmProblem<float>(5, false, false, 40, 530, 900, 1, 2, 3, accumulate: false);
        Gemm.PackedB<float>? packed = null;
        KernelPaths.Run(widest, () => packed = Gemm.PackedB<float>.Pack(problem.BSpan, problem.K, problem.N, problem.Ldb));
        KernelPaths.Run(KernelPath.Scalar, () =>
        {
            Assert.False(packed!.FitsCurrentPath);
            // The scalar path's blocks differ from the copy's: it packs B at the call, as if there were no copy.
            Assert.Equal(problem.Run(), problem.Run(packedB: packed));
        });
        KernelPaths.Run(widest, () => Assert.True(packed!.FitsCurrentPath));
    }

    [Fact]
    public void MultiplyPackedB_GivesTheBitsOfMultiply()
    {
        var problem = new GemmProblem<float>(9, false, false, 70, 300, 200, 3, 1, 2, accumulate: true);
        var packed = Gemm.PackedB<float>.Pack(problem.BSpan, problem.K, problem.N, problem.Ldb);
        var expected = problem.Run();
        Assert.Equal(expected, problem.RunPackedB(maxThreads: 2, packed));
        Assert.Equal(expected, problem.RunPackedB(maxThreads: 2, packedB: null));
    }

    [Fact]
    public void PackingATooShortB_IsAClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => Gemm.PackedB<float>.Pack(new float[10], 4, 3, 3));
        Assert.Contains("b", error.Message);
    }

    private static void SameBits<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int seed = 0;
        foreach (var (m, n, k) in Shapes)
        {
            foreach (bool transposeA in new[] { false, true })
            {
                foreach (bool accumulate in new[] { false, true })
                {
                    var problem = new GemmProblem<T>(++seed, transposeA, false, m, n, k, 1, 2, 3, accumulate);
                    var packed = Gemm.PackedB<T>.Pack(problem.BSpan, k, n, problem.Ldb);
                    Assert.True(packed.FitsCurrentPath);
                    var atTheCall = problem.Run(maxThreads: 1);
                    problem.AssertClose(problem.RunReference(), atTheCall);
                    Assert.Equal(atTheCall, problem.Run(maxThreads: 1, packedB: packed));
                    // Two threads may split C by rows (each multiplies from the copy) or by columns (each packs its
                    // own part of B): the bits are the same either way.
                    Assert.Equal(atTheCall, problem.Run(maxThreads: 2, packedB: packed));
                }
            }
        }
    }

    /// <summary>
    /// m = 1..25 (the single-row sweep, then two strips of 12 and every remainder; on the Vector512 path whole strips read
    /// a row-major A in place and the rest is packed) by n across a whole and a partial NR strip, one and two k blocks;
    /// then single rows of every width up to nine strips, which the sweep over the copy takes four strips at a time.
    /// </summary>
    private static void Leftovers<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nr = 2 * KernelPaths.WidestCount<T>();
        int seed = 300;
        for (int width = 1; width <= (9 * nr) + 3; width++)
        {
            foreach (int k in new[] { 7, 400 })
            {
                var row = new GemmProblem<T>(++seed, seed % 2 == 0, false, 1, width, k, 3, 1, 2, accumulate: width % 2 == 0);
                var rowCopy = Gemm.PackedB<T>.Pack(row.BSpan, k, width, row.Ldb);
                Assert.Equal(row.Run(), row.Run(packedB: rowCopy));
            }
        }

        int n = nr + 7;
        seed = 200;
        for (int m = 1; m <= 25; m++)
        {
            foreach (int k in new[] { 5, 400 })
            {
                var problem = new GemmProblem<T>(++seed, false, false, m, n, k, 3, 1, 2, accumulate: m % 2 == 0);
                var packed = Gemm.PackedB<T>.Pack(problem.BSpan, k, n, problem.Ldb);
                var atTheCall = problem.Run(directThreshold: 0);
                problem.AssertClose(problem.RunReference(), atTheCall);
                Assert.Equal(atTheCall, problem.Run(directThreshold: 0, packedB: packed));
            }
        }
    }

    /// <summary>
    /// Every route a product can take reads the copy: the packed path on one thread and split by rows or by columns over
    /// two, the single-row sweep (whole, or split by columns when large) and the direct loop of tiny products.
    /// </summary>
    private static readonly (int M, int N, int K)[] RouteShapes =
        [.. Shapes, (12, 530, 900), (1, 530, 900), (1, 40, 30), (1, 7, 3), (2, 3, 5), (5, 20, 9)];

    private static void FromTheCopy<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int seed = 100;
        foreach (var (m, n, k) in RouteShapes)
        {
            foreach (bool transposeA in new[] { false, true })
            {
                foreach (bool accumulate in new[] { false, true })
                {
                    var problem = new GemmProblem<T>(++seed, transposeA, false, m, n, k, 1, 2, 3, accumulate);
                    var packed = Gemm.PackedB<T>.Pack(problem.BSpan, k, n, problem.Ldb);
                    var withB = problem.Run();
                    // The copy gives the bits of B itself, on one thread and two.
                    Assert.Equal(withB, problem.Run(packedB: packed));
                    Assert.Equal(withB, problem.Run(maxThreads: 2, packedB: packed));
                    // B's values change after packing; a product given the copy still multiplies by the old ones.
                    for (int i = 0; i < problem.B.Length; i++) problem.B[i] *= T.CreateTruncating(3);
                    Assert.NotEqual(withB, problem.Run());
                    Assert.Equal(withB, problem.Run(packedB: packed));
                    Assert.Equal(withB, problem.Run(maxThreads: 2, packedB: packed));
                }
            }
        }
    }
}

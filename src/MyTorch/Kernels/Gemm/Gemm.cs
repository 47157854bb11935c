using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace MyTorch.Kernels;

/// <summary>
/// General matrix multiplication, C = (accumulate ? C : 0) + op(A) * op(B), on row-major strided buffers.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Multiply{T}"/> is a BLIS-style kernel: op(B) is packed into NR-column strips kc deep and op(A) into
/// MR-row strips, both into reused per-thread scratch buffers (the packing reads through the strides, so
/// transposes are never materialized), and a register-blocked MR x NR micro-kernel (6 x 16 for float, 6 x 8 for
/// double: 12 Vector256 accumulators, FMA where the CPU has it) runs over the packed panels. Where 512-bit vectors
/// are hardware accelerated (AVX-512) a 12 x 32 float (12 x 16 double) Vector512 kernel runs instead, with its 24
/// accumulators in AVX-512's 32 registers, deeper k blocks and the A micro-panel kept in L1 while B streams from L2;
/// setting DOTNET_PreferredVectorBitWidth=256 turns that off. Without Vector256 acceleration a Vector128
/// kernel (or, without any SIMD, a scalar one) is used; <see cref="KernelOptions.Path"/> forces any of these paths
/// (with the micro-tile width and packing that go with it) for tests and benchmarks. Large problems are
/// split into disjoint rectangles of C, one per thread; every element of C receives the same sequence of
/// operations whatever the split, so results are bit-identical for any thread count.
/// </para>
/// <para>
/// A B that many products share (frozen inference weights) can be packed once in advance (<see cref="PackedB{T}"/>);
/// such products skip packing B and, on the Vector512 path, read a row-major A in place instead of packing it, with
/// the same bits. Every route multiplies from such a copy when it fits: the blocked path split any way, the
/// single-row sweep (batch-1 inference, which then reads 64-byte aligned strips) and the direct loop of tiny products.
/// </para>
/// <para>Only <see cref="float"/> and <see cref="double"/> are supported by <see cref="Multiply{T}"/>.</para>
/// <para>
/// The class is a file per seam in Kernels/Gemm/: this one (API, routing, validation, the direct loop), RowSweep
/// (single-row products), Blocked (the blocked path and its thread planner), Packing, MicroKernels, Blocking (each
/// path's tile and cache blocks) and Operands (one call's operands, B packed in advance, scratch). Each vector loop is
/// written once, generic over an <see cref="IVectorWidth{TVector, T}"/>, and compiled by the JIT for each width.
/// </para>
/// </remarks>
public static partial class Gemm
{
    /// <summary>Rows of a micro-tile (and of a packed A strip) on the 256-bit, 128-bit and scalar paths.</summary>
    internal const int MR = 6;

    /// <summary>Rows of a micro-tile on the Vector512 path, which has 32 vector registers for its accumulators.</summary>
    internal const int MR512 = 12;

    /// <summary>Problems with m*n*k below this use a plain direct loop instead of packing.</summary>
    internal const long DirectThreshold = 4096;

    /// <summary>Problems with m*n*k at or above this may use several threads.</summary>
    internal const long ParallelThreshold = 1L << 21;

    /// <summary>Each thread gets at least this much of m*n*k.</summary>
    internal const long MinWorkPerThread = 1L << 20;

    /// <summary>
    /// C = (accumulate ? C : 0) + op(A) * op(B). op(A) is m x k, op(B) is k x n, C is m x n; all row-major.
    /// A is stored as m x k (lda &gt;= k) or, when <paramref name="transposeA"/>, as k x m (lda &gt;= m);
    /// likewise B is stored as k x n (ldb &gt;= n) or, when <paramref name="transposeB"/>, as n x k (ldb &gt;= k).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="transposeA">Whether A is stored transposed (k x m).</param>
    /// <param name="transposeB">Whether B is stored transposed (n x k).</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B).</param>
    /// <param name="a">The storage of A, starting at its first element.</param>
    /// <param name="lda">The distance between consecutive stored rows of A.</param>
    /// <param name="b">The storage of B, starting at its first element.</param>
    /// <param name="ldb">The distance between consecutive stored rows of B.</param>
    /// <param name="c">The storage of C, starting at its first element; must not overlap A or B.</param>
    /// <param name="ldc">The distance between consecutive rows of C (ldc &gt;= n).</param>
    /// <param name="accumulate">Add the product to C instead of overwriting C.</param>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is too small, a span is too
    /// short, or C overlaps A or B.</exception>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => MultiplyCore(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, KernelOptions.MaxThreads);

    /// <summary>
    /// <see cref="Multiply{T}"/> on at most <paramref name="maxThreads"/> threads, multiplying from
    /// <paramref name="packedB"/> (B packed in advance, see <see cref="PackedB{T}.Pack"/>) wherever it fits the product
    /// (same B shape and kernel path); else from <paramref name="b"/>. The bits are the same either way.
    /// </summary>
    internal static void MultiplyPackedB<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate, int maxThreads,
        PackedB<T>? packedB)
        where T : unmanaged, IFloatingPointIeee754<T>
        => MultiplyCore(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, maxThreads, DirectThreshold, packedB);

    /// <summary>
    /// Plain triple-loop reference with the same contract as <see cref="Multiply{T}"/> (each element of C is one
    /// running sum over k, added to C at the end when accumulating). Slow; meant for tests. Works for any
    /// IEEE floating-point <typeparamref name="T"/>.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="transposeA">Whether A is stored transposed (k x m).</param>
    /// <param name="transposeB">Whether B is stored transposed (n x k).</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B).</param>
    /// <param name="a">The storage of A, starting at its first element.</param>
    /// <param name="lda">The distance between consecutive stored rows of A.</param>
    /// <param name="b">The storage of B, starting at its first element.</param>
    /// <param name="ldb">The distance between consecutive stored rows of B.</param>
    /// <param name="c">The storage of C, starting at its first element.</param>
    /// <param name="ldc">The distance between consecutive rows of C (ldc &gt;= n).</param>
    /// <param name="accumulate">Add the product to C instead of overwriting C.</param>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is too small, or a span is too
    /// short.</exception>
    public static void MultiplyReference<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T x = transposeA ? a[(p * lda) + i] : a[(i * lda) + p];
                    T y = transposeB ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    sum += x * y;
                }

                ref T dst = ref c[(i * ldc) + j];
                dst = accumulate ? dst + sum : sum;
            }
        }
    }

    /// <summary>
    /// <see cref="Multiply{T}"/> with an explicit thread limit and small-problem cut-off (tests use them to compare
    /// thread counts and to force the packed path on small shapes).
    /// </summary>
    internal static unsafe void MultiplyCore<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate, int maxThreads,
        long directThreshold = DirectThreshold, PackedB<T>? packedB = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            ThrowNotSupported(typeof(T));
        }

        Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            var args = new Operands<T>(transposeA, transposeB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, packedB);
            if (k == 0)
            {
                if (!accumulate)
                {
                    ZeroC(pc, m, n, ldc);
                }

                return;
            }

            CheckNoOverlap(args);
            long work = (long)m * n * k;
            // A copy of B packed in advance (args.PackedB, when it fits) is what every route below multiplies from:
            // its owner was promised that later changes to B are not seen.
            if (m == 1 && !transposeB)
            {
                // A single row (inference on one example): packing would pad it to a 6-row tile and waste 5/6 of
                // the work, while the product is just k scaled rows of B added up, a memory-bound sweep. Small ones
                // too, such as batch-1 inference's last layer (1x128x10): the direct loop reads B's columns one scalar
                // at a time, where the sweep reads its rows a vector at a time.
                if (work >= ParallelRowThreshold && maxThreads > 1 && n >= 2 * RowColumnsPerTask)
                {
                    RowJob<T>.ForThisThread(args).Run(maxThreads);
                }
                else if (args.PackedB is { } copy)
                {
                    RowTimesPacked(args, copy, 0, n);
                }
                else
                {
                    RowTimesMatrix(transposeA, n, k, a, lda, b, ldb, c, accumulate);
                }
            }
            else if (work < directThreshold)
            {
                Direct(args);
            }
            else
            {
                Blocked(args, work, maxThreads);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Validation (non-generic, throws from cold helpers).

    private static void Validate(bool transposeA, bool transposeB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if ((m | n | k) < 0)
        {
            ThrowNegativeSize(m, n, k);
        }

        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        if (lda < aCols)
        {
            ThrowLeadingDimension(nameof(lda), lda, aCols, transposeA ? "m (A is stored transposed, k x m)" : "k");
        }

        if (ldb < bCols)
        {
            ThrowLeadingDimension(nameof(ldb), ldb, bCols, transposeB ? "k (B is stored transposed, n x k)" : "n");
        }

        if (ldc < n)
        {
            ThrowLeadingDimension(nameof(ldc), ldc, n, "n");
        }

        CheckLength("a", aLength, aRows, aCols, lda);
        CheckLength("b", bLength, bRows, bCols, ldb);
        CheckLength("c", cLength, m, n, ldc);
    }

    /// <summary>The elements a rows x cols matrix with leading dimension ld spans.</summary>
    private static long Required(int rows, int cols, int ld) =>
        rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;

    private static void CheckLength(string paramName, int length, int rows, int cols, int ld)
    {
        long required = Required(rows, cols, ld);
        if (length < required)
        {
            ThrowTooShort(paramName, length, required, rows, cols, ld);
        }
    }

    private static unsafe void CheckNoOverlap<T>(in Operands<T> o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        byte* c0 = (byte*)o.C;
        byte* c1 = c0 + (Required(o.M, o.N, o.Ldc) * sizeof(T));
        byte* a0 = (byte*)o.A;
        byte* a1 = a0 + (Required(o.TransA ? o.K : o.M, o.TransA ? o.M : o.K, o.Lda) * sizeof(T));
        byte* b0 = (byte*)o.B;
        byte* b1 = b0 + (Required(o.TransB ? o.N : o.K, o.TransB ? o.K : o.N, o.Ldb) * sizeof(T));
        if ((a0 < c1 && c0 < a1) || (b0 < c1 && c0 < b1))
        {
            ThrowOverlap("c", a0 < c1 && c0 < a1 ? "a" : "b");
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotSupported(Type type) =>
        throw new NotSupportedException(
            $"Gemm.Multiply supports float and double only, not {type.Name}; use MultiplyReference for other types.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNegativeSize(int m, int n, int k)
    {
        string name = m < 0 ? nameof(m) : n < 0 ? nameof(n) : nameof(k);
        int value = m < 0 ? m : n < 0 ? n : k;
        throw new ArgumentOutOfRangeException(
            name, value, $"Matrix sizes must be non-negative, but {name} = {value} (m = {m}, n = {n}, k = {k}).");
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLeadingDimension(string paramName, int value, int minimum, string what) =>
        throw new ArgumentOutOfRangeException(
            paramName, value, $"{paramName} = {value} is smaller than the row length {minimum} (= {what}).");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooShort(string paramName, int length, long required, int rows, int cols, int ld) =>
        throw new ArgumentException(
            $"{paramName} has {length} elements, but a {rows} x {cols} matrix with leading dimension {ld} needs at least {required}.",
            paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOverlap(string paramName, string other) =>
        throw new ArgumentException($"{paramName} must not overlap {other}.", paramName);

    // ------------------------------------------------------------------------------------------------------------
    // Small problems.

    private static unsafe void ZeroC<T>(T* c, int m, int n, int ldc)
        where T : unmanaged
    {
        for (int i = 0; i < m; i++)
        {
            new Span<T>(c + ((nint)i * ldc), n).Clear();
        }
    }

    /// <summary>
    /// A direct loop for problems too small to be worth packing. It reads B itself, or the copy packed in advance (each
    /// of the copy's k blocks holds a column nr apart down its strip): the same sum in the same order either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no slow tier-0 code while a model warms up
    private static unsafe void Direct<T>(in Operands<T> o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var copy = o.PackedB;
        int kBlock = copy is null ? o.K : o.KcMax;
        nint sai = o.TransA ? 1 : o.Lda, sap = o.TransA ? o.Lda : 1;
        nint sbp = copy is not null ? o.NR : o.TransB ? 1 : o.Ldb, sbj = o.TransB ? o.Ldb : 1;
        for (int i = 0; i < o.M; i++)
        {
            T* ai = o.A + (i * sai);
            T* ci = o.C + ((nint)i * o.Ldc);
            for (int j = 0; j < o.N; j++)
            {
                T sum = T.Zero;
                for (int pc = 0; pc < o.K; pc += kBlock)
                {
                    T* bj = copy is null ? o.B + (j * sbj) : copy.Column(j, pc);
                    int kc = Math.Min(kBlock, o.K - pc);
                    for (int p = 0; p < kc; p++)
                    {
                        sum += ai[(pc + p) * sap] * bj[p * sbp];
                    }
                }

                ci[j] = o.Accumulate ? ci[j] + sum : sum;
            }
        }
    }
}

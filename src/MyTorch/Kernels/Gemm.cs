using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

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
/// </remarks>
public static class Gemm
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
                // too: the direct loop reads B's columns one scalar at a time, and batch-1 inference's last layer
                // (1x128x10) made the whole forward pass measurably slower that way.
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

    /// <summary>
    /// c[0, :] (+)= sum_p a[p] * b[p, :], one block of columns at a time: a block's sums stay in registers while the
    /// sweep walks down all k rows of B, so C is read and written once, and each row of B adds one sequential stretch.
    /// Every column is the running sum c (or 0) + a[0] b[0, j] + a[1] b[1, j] + ..., each step a separate multiply
    /// and add (no FMA), so every path, block width and thread split gives the same bits.
    /// </summary>
    /// <remarks>
    /// <para>
    /// An earlier sweep added four rows of B at a time to the whole row of C: the same arithmetic, but it loaded and
    /// stored C and set up its vectors once per four rows, which cost as much as the multiplies at batch 1.
    /// </para>
    /// <para>
    /// The wide loads are not aligned to B's cache lines. A managed array starts wherever the runtime put it, and a
    /// 1x784x256 sweep took markedly longer on one thread with B off a 64-byte boundary than on one. The earlier sweep
    /// started its wide vectors at the boundary and ran the columns before it on narrower paths; here those columns
    /// would be latency-bound chains of their own, one pass over B each, which cost more than the straddling loads.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTimesMatrix<T>(bool transposeA, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
        Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The caller validated the sizes: a holds k values lda (transposed) or 1 apart, b is k x n with ldb, c >= n.
        var sweep = new RowSweep<T>(ref MemoryMarshal.GetReference(a), transposeA ? lda : 1, ref MemoryMarshal.GetReference(b),
            ldb, k, ref MemoryMarshal.GetReference(c[..n]), fromZero: !accumulate);

        // Blocks of eight vectors, as wide as the path allows and then narrower, keep enough independent sums in
        // flight to hide the add latency; what is left takes single vectors and single columns.
        int j = 0;
        if (KernelOptions.UseVector512)
        {
            j = Block512(sweep, j, n);
        }

        if (KernelOptions.UseVector256)
        {
            j = Block256(sweep, j, n);
        }

        if (KernelOptions.UseVector128)
        {
            j = Block128(sweep, j, n);
        }

        if (KernelOptions.UseVector512)
        {
            j = Single512(sweep, j, n);
        }

        if (KernelOptions.UseVector256)
        {
            j = Single256(sweep, j, n);
        }

        if (KernelOptions.UseVector128)
        {
            j = Single128(sweep, j, n);
        }

        for (; j < n; j++)
        {
            ref T bj = ref Unsafe.Add(ref sweep.B, j);
            T sum = sweep.FromZero ? T.Zero : Unsafe.Add(ref sweep.C, j);
            for (int p = 0; p < k; p++)
            {
                sum += Unsafe.Add(ref bj, p * sweep.Ldb) * Unsafe.Add(ref sweep.A, p * sweep.Sa);
            }

            Unsafe.Add(ref sweep.C, j) = sum;
        }
    }

    /// <summary>Single-row products with at least this much of n*k are split by columns over the kernel threads.</summary>
    /// <remarks>
    /// With the kernel threads spinning between calls a split pays from about 2^17: with the block sweep, batch-1
    /// inference of 784-256-128-10 ran clearly faster with its 1x784x256 layer split than whole on 2 threads, and
    /// slower with its 1x256x128 layer split too. `mytorch bench --only inference` (batch 1) measures the
    /// effect.
    /// </remarks>
    internal const long ParallelRowThreshold = 1L << 17;

    /// <summary>The fewest columns of C one thread takes in a split single-row product (a multiple of every vector width).</summary>
    internal const int RowColumnsPerTask = 64;

    /// <summary>
    /// A single-row product split into column ranges, one per thread: memory-bound, so each core streams its own part
    /// of B. Every column gets the same operations as in one sweep, so the split never changes a bit.
    /// </summary>
    private sealed unsafe class RowJob<T> : ParallelWork
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static RowJob<T>? t_instance;

        private Operands<T> _o;
        private int _tasks;

        public static RowJob<T> ForThisThread(in Operands<T> o)
        {
            var job = t_instance ??= new RowJob<T>();
            job._o = o;
            return job;
        }

        public void Run(int maxThreads)
        {
            _tasks = (int)Math.Min(maxThreads, _o.N / RowColumnsPerTask);
            WorkerPool.Run(this, _tasks, _tasks);
        }

        public override void Execute(int task)
        {
            int blocks = (_o.N + RowColumnsPerTask - 1) / RowColumnsPerTask;
            int j0 = Math.Min(_o.N, blocks * task / _tasks * RowColumnsPerTask);
            int j1 = Math.Min(_o.N, blocks * (task + 1) / _tasks * RowColumnsPerTask);
            if (j0 >= j1)
            {
                return;
            }

            // Each block of C is written once, at the end of its sweep, so the cache line two threads' parts may share
            // changes hands once or twice, not once per row of B.
            if (_o.PackedB is { } copy)
            {
                RowTimesPacked(_o, copy, j0, j1);
                return;
            }

            int width = j1 - j0;
            long aLength = _o.TransA ? ((long)(_o.K - 1) * _o.Lda) + 1 : _o.K;
            long bLength = ((long)(_o.K - 1) * _o.Ldb) + width;
            var a = new ReadOnlySpan<T>(_o.A, (int)aLength);
            var b = new ReadOnlySpan<T>(_o.B + j0, (int)bLength);
            var c = new Span<T>(_o.C + j0, width);
            RowTimesMatrix(_o.TransA, width, _o.K, a, _o.Lda, b, _o.Ldb, c, _o.Accumulate);
        }
    }

    /// <summary>
    /// <see cref="RowTimesMatrix{T}"/> for columns [<paramref name="j0"/>, <paramref name="j1"/>) (j0 on a strip) from a
    /// copy of B packed in advance: four NR-column strips at a time, each a sequential, 64-byte aligned stream (the rows
    /// of a managed B start wherever the runtime put it). Every column is the same running sum of separate multiplies
    /// and adds in the same order, so the bits are those of the sweep over B.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowTimesPacked<T>(in Operands<T> o, PackedB<T> copy, int j0, int j1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nr = o.NR, k = o.K, kcMax = o.KcMax, ncMax = o.NC;
        int path = o.Width == 512 && nr == 2 * Vector512<T>.Count ? 512 : o.Width == 256 && nr == 2 * Vector256<T>.Count ? 256 : 0;
        nint sa = o.TransA ? o.Lda : 1;
        bool fromZero = !o.Accumulate;
        T* sums = stackalloc T[4 * nr];
        for (int j = j0; j < j1;)
        {
            // Four strips, or what is left of this block of the copy (strips never span two of its column blocks).
            int blockEnd = Math.Min(j1, ((j / ncMax) + 1) * ncMax);
            int strips = Math.Min(4, (blockEnd - j + nr - 1) / nr);
            int width = Math.Min(strips * nr, blockEnd - j);
            T* c = o.C + j;
            // The running sums start from C, or from zero (also past width, where a partial strip's padding is summed).
            for (int t = 0; t < 4 * nr; t++) sums[t] = fromZero || t >= width ? T.Zero : c[t];
            if (path == 512 && strips == 4)
            {
                FourStrips512(o.A, sa, k, kcMax, copy, j, sums);
            }
            else if (path == 256 && strips == 4)
            {
                FourStrips256(o.A, sa, k, kcMax, copy, j, sums);
            }
            else if (path != 0)
            {
                for (int t = 0; t < strips; t++)
                {
                    if (path == 512)
                    {
                        OneStrip512(o.A, sa, k, kcMax, copy, j + (t * nr), sums + (t * nr));
                    }
                    else
                    {
                        OneStrip256(o.A, sa, k, kcMax, copy, j + (t * nr), sums + (t * nr));
                    }
                }
            }
            else
            {
                // A path whose strips are not two vectors (Vector128, scalar): column by column.
                for (int t = 0; t < width; t++)
                {
                    T sum = sums[t];
                    for (int pc = 0; pc < k; pc += kcMax)
                    {
                        int kc = Math.Min(kcMax, k - pc);
                        T* b = copy.Column(j + t, pc);
                        T* a = o.A + (pc * sa);
                        for (int p = 0; p < kc; p++)
                        {
                            sum += b[(nint)p * nr] * a[p * sa];
                        }
                    }

                    sums[t] = sum;
                }
            }

            for (int t = 0; t < width; t++) c[t] = sums[t];
            j += width;
        }
    }

    /// <summary>Four whole strips of a copy from column <paramref name="j"/>, two Vector512 each, added to the running sums in <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourStrips512<T>(T* a, nint sa, int k, int kcMax, PackedB<T> copy, int j, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        Vector512<T> s0 = Vector512.Load(sums), s1 = Vector512.Load(sums + v);
        Vector512<T> s2 = Vector512.Load(sums + (2 * v)), s3 = Vector512.Load(sums + (3 * v));
        Vector512<T> s4 = Vector512.Load(sums + (4 * v)), s5 = Vector512.Load(sums + (5 * v));
        Vector512<T> s6 = Vector512.Load(sums + (6 * v)), s7 = Vector512.Load(sums + (7 * v));

        // No call inside the loops: every vector register is the caller's to save, so one would keep the sums on the
        // stack for the whole sweep.
        for (int pc = 0; pc < k; pc += kcMax)
        {
            nint strip = (nint)2 * v * Math.Min(kcMax, k - pc);
            T* b = copy.Block(j, pc);
            T* b1 = b + strip, b2 = b1 + strip, b3 = b2 + strip;
            T* end = b + strip;
            for (; b < end; b += 2 * v, b1 += 2 * v, b2 += 2 * v, b3 += 2 * v)
            {
                var x = Vector512.Create(*a);
                s0 += Vector512.Load(b) * x;
                s1 += Vector512.Load(b + v) * x;
                s2 += Vector512.Load(b1) * x;
                s3 += Vector512.Load(b1 + v) * x;
                s4 += Vector512.Load(b2) * x;
                s5 += Vector512.Load(b2 + v) * x;
                s6 += Vector512.Load(b3) * x;
                s7 += Vector512.Load(b3 + v) * x;
                a += sa;
            }
        }

        s0.Store(sums);
        s1.Store(sums + v);
        s2.Store(sums + (2 * v));
        s3.Store(sums + (3 * v));
        s4.Store(sums + (4 * v));
        s5.Store(sums + (5 * v));
        s6.Store(sums + (6 * v));
        s7.Store(sums + (7 * v));
    }

    /// <summary>One strip of a copy from column <paramref name="j"/>, two Vector512, added to the running sums in <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void OneStrip512<T>(T* a, nint sa, int k, int kcMax, PackedB<T> copy, int j, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        Vector512<T> s0 = Vector512.Load(sums), s1 = Vector512.Load(sums + v);
        for (int pc = 0; pc < k; pc += kcMax)
        {
            T* b = copy.Block(j, pc);
            T* end = b + ((nint)2 * v * Math.Min(kcMax, k - pc));
            for (; b < end; b += 2 * v)
            {
                var x = Vector512.Create(*a);
                s0 += Vector512.Load(b) * x;
                s1 += Vector512.Load(b + v) * x;
                a += sa;
            }
        }

        s0.Store(sums);
        s1.Store(sums + v);
    }

    /// <summary>Four whole strips of a copy from column <paramref name="j"/>, two Vector256 each, added to the running sums in <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourStrips256<T>(T* a, nint sa, int k, int kcMax, PackedB<T> copy, int j, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector256<T>.Count;
        Vector256<T> s0 = Vector256.Load(sums), s1 = Vector256.Load(sums + v);
        Vector256<T> s2 = Vector256.Load(sums + (2 * v)), s3 = Vector256.Load(sums + (3 * v));
        Vector256<T> s4 = Vector256.Load(sums + (4 * v)), s5 = Vector256.Load(sums + (5 * v));
        Vector256<T> s6 = Vector256.Load(sums + (6 * v)), s7 = Vector256.Load(sums + (7 * v));

        // No call inside the loops: every vector register is the caller's to save, so one would keep the sums on the
        // stack for the whole sweep.
        for (int pc = 0; pc < k; pc += kcMax)
        {
            nint strip = (nint)2 * v * Math.Min(kcMax, k - pc);
            T* b = copy.Block(j, pc);
            T* b1 = b + strip, b2 = b1 + strip, b3 = b2 + strip;
            T* end = b + strip;
            for (; b < end; b += 2 * v, b1 += 2 * v, b2 += 2 * v, b3 += 2 * v)
            {
                var x = Vector256.Create(*a);
                s0 += Vector256.Load(b) * x;
                s1 += Vector256.Load(b + v) * x;
                s2 += Vector256.Load(b1) * x;
                s3 += Vector256.Load(b1 + v) * x;
                s4 += Vector256.Load(b2) * x;
                s5 += Vector256.Load(b2 + v) * x;
                s6 += Vector256.Load(b3) * x;
                s7 += Vector256.Load(b3 + v) * x;
                a += sa;
            }
        }

        s0.Store(sums);
        s1.Store(sums + v);
        s2.Store(sums + (2 * v));
        s3.Store(sums + (3 * v));
        s4.Store(sums + (4 * v));
        s5.Store(sums + (5 * v));
        s6.Store(sums + (6 * v));
        s7.Store(sums + (7 * v));
    }

    /// <summary>One strip of a copy from column <paramref name="j"/>, two Vector256, added to the running sums in <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void OneStrip256<T>(T* a, nint sa, int k, int kcMax, PackedB<T> copy, int j, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector256<T>.Count;
        Vector256<T> s0 = Vector256.Load(sums), s1 = Vector256.Load(sums + v);
        for (int pc = 0; pc < k; pc += kcMax)
        {
            T* b = copy.Block(j, pc);
            T* end = b + ((nint)2 * v * Math.Min(kcMax, k - pc));
            for (; b < end; b += 2 * v)
            {
                var x = Vector256.Create(*a);
                s0 += Vector256.Load(b) * x;
                s1 += Vector256.Load(b + v) * x;
                a += sa;
            }
        }

        s0.Store(sums);
        s1.Store(sums + v);
    }

    /// <summary>The operands of one <see cref="RowTimesMatrix{T}"/>: the row a (k values Sa apart), B (k rows Ldb apart) and the row of C.</summary>
    private readonly ref struct RowSweep<T>
        where T : unmanaged
    {
        public readonly ref T A;
        public readonly nint Sa;
        public readonly ref T B;
        public readonly nint Ldb;
        public readonly int K;
        public readonly ref T C;

        /// <summary>The sums start from zero instead of from C (not accumulating).</summary>
        public readonly bool FromZero;

        public RowSweep(ref T a, nint sa, ref T b, nint ldb, int k, ref T c, bool fromZero)
        {
            A = ref a;
            Sa = sa;
            B = ref b;
            Ldb = ldb;
            K = k;
            C = ref c;
            FromZero = fromZero;
        }
    }

    /// <summary>
    /// How many rows of B ahead a block sweep asks for the lines it will read. The hardware prefetchers bring B into L2
    /// but follow the 8-line stretch of each row into L1 too late: on AVX-512, asking 8 rows ahead made batch-1
    /// inference faster on one thread than asking for none (2 or 4 rows ahead gained a little less), and the
    /// Vector256 path gained a little too.
    /// </summary>
    private const int PrefetchRows = 8;

    /// <summary>Blocks of eight Vector512 columns of a <see cref="RowSweep{T}"/> from <paramref name="j"/>; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int Block512<T>(in RowSweep<T> s, int j, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        nuint v1 = (nuint)v, v2 = 2 * v1, v3 = 3 * v1, v4 = 4 * v1, v5 = 5 * v1, v6 = 6 * v1, v7 = 7 * v1;
        for (; j <= n - (8 * v); j += 8 * v)
        {
            ref T c = ref Unsafe.Add(ref s.C, j);
            Vector512<T> s0 = Vector512<T>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            if (!s.FromZero)
            {
                s0 = Vector512.LoadUnsafe(ref c);
                s1 = Vector512.LoadUnsafe(ref c, v1);
                s2 = Vector512.LoadUnsafe(ref c, v2);
                s3 = Vector512.LoadUnsafe(ref c, v3);
                s4 = Vector512.LoadUnsafe(ref c, v4);
                s5 = Vector512.LoadUnsafe(ref c, v5);
                s6 = Vector512.LoadUnsafe(ref c, v6);
                s7 = Vector512.LoadUnsafe(ref c, v7);
            }

            ref T a = ref s.A;
            ref T b = ref Unsafe.Add(ref s.B, j);
            for (int p = 0; p < s.K; p++)
            {
                if (Sse.IsSupported)
                {
                    // Only a hint: near the end it asks for lines past B, which is harmless, as a prefetch never faults.
                    byte* f = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref b, PrefetchRows * s.Ldb));
                    Sse.Prefetch0(f);
                    Sse.Prefetch0(f + 64);
                    Sse.Prefetch0(f + 128);
                    Sse.Prefetch0(f + 192);
                    Sse.Prefetch0(f + 256);
                    Sse.Prefetch0(f + 320);
                    Sse.Prefetch0(f + 384);
                    Sse.Prefetch0(f + 448);
                }

                var x = Vector512.Create(a);
                s0 += Vector512.LoadUnsafe(ref b) * x;
                s1 += Vector512.LoadUnsafe(ref b, v1) * x;
                s2 += Vector512.LoadUnsafe(ref b, v2) * x;
                s3 += Vector512.LoadUnsafe(ref b, v3) * x;
                s4 += Vector512.LoadUnsafe(ref b, v4) * x;
                s5 += Vector512.LoadUnsafe(ref b, v5) * x;
                s6 += Vector512.LoadUnsafe(ref b, v6) * x;
                s7 += Vector512.LoadUnsafe(ref b, v7) * x;
                a = ref Unsafe.Add(ref a, s.Sa);
                b = ref Unsafe.Add(ref b, s.Ldb);
            }

            s0.StoreUnsafe(ref c);
            s1.StoreUnsafe(ref c, v1);
            s2.StoreUnsafe(ref c, v2);
            s3.StoreUnsafe(ref c, v3);
            s4.StoreUnsafe(ref c, v4);
            s5.StoreUnsafe(ref c, v5);
            s6.StoreUnsafe(ref c, v6);
            s7.StoreUnsafe(ref c, v7);
        }

        return j;
    }

    /// <summary>Blocks of eight Vector256 columns of a <see cref="RowSweep{T}"/> from <paramref name="j"/>; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int Block256<T>(in RowSweep<T> s, int j, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector256<T>.Count;
        nuint v1 = (nuint)v, v2 = 2 * v1, v3 = 3 * v1, v4 = 4 * v1, v5 = 5 * v1, v6 = 6 * v1, v7 = 7 * v1;
        for (; j <= n - (8 * v); j += 8 * v)
        {
            ref T c = ref Unsafe.Add(ref s.C, j);
            Vector256<T> s0 = Vector256<T>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            if (!s.FromZero)
            {
                s0 = Vector256.LoadUnsafe(ref c);
                s1 = Vector256.LoadUnsafe(ref c, v1);
                s2 = Vector256.LoadUnsafe(ref c, v2);
                s3 = Vector256.LoadUnsafe(ref c, v3);
                s4 = Vector256.LoadUnsafe(ref c, v4);
                s5 = Vector256.LoadUnsafe(ref c, v5);
                s6 = Vector256.LoadUnsafe(ref c, v6);
                s7 = Vector256.LoadUnsafe(ref c, v7);
            }

            ref T a = ref s.A;
            ref T b = ref Unsafe.Add(ref s.B, j);
            for (int p = 0; p < s.K; p++)
            {
                if (Sse.IsSupported)
                {
                    // Only a hint: near the end it asks for lines past B, which is harmless, as a prefetch never faults.
                    byte* f = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref b, PrefetchRows * s.Ldb));
                    Sse.Prefetch0(f);
                    Sse.Prefetch0(f + 64);
                    Sse.Prefetch0(f + 128);
                    Sse.Prefetch0(f + 192);
                }

                var x = Vector256.Create(a);
                s0 += Vector256.LoadUnsafe(ref b) * x;
                s1 += Vector256.LoadUnsafe(ref b, v1) * x;
                s2 += Vector256.LoadUnsafe(ref b, v2) * x;
                s3 += Vector256.LoadUnsafe(ref b, v3) * x;
                s4 += Vector256.LoadUnsafe(ref b, v4) * x;
                s5 += Vector256.LoadUnsafe(ref b, v5) * x;
                s6 += Vector256.LoadUnsafe(ref b, v6) * x;
                s7 += Vector256.LoadUnsafe(ref b, v7) * x;
                a = ref Unsafe.Add(ref a, s.Sa);
                b = ref Unsafe.Add(ref b, s.Ldb);
            }

            s0.StoreUnsafe(ref c);
            s1.StoreUnsafe(ref c, v1);
            s2.StoreUnsafe(ref c, v2);
            s3.StoreUnsafe(ref c, v3);
            s4.StoreUnsafe(ref c, v4);
            s5.StoreUnsafe(ref c, v5);
            s6.StoreUnsafe(ref c, v6);
            s7.StoreUnsafe(ref c, v7);
        }

        return j;
    }

    /// <summary>Blocks of eight Vector128 columns of a <see cref="RowSweep{T}"/> from <paramref name="j"/>; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Block128<T>(in RowSweep<T> s, int j, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector128<T>.Count;
        nuint v1 = (nuint)v, v2 = 2 * v1, v3 = 3 * v1, v4 = 4 * v1, v5 = 5 * v1, v6 = 6 * v1, v7 = 7 * v1;
        for (; j <= n - (8 * v); j += 8 * v)
        {
            ref T c = ref Unsafe.Add(ref s.C, j);
            Vector128<T> s0 = Vector128<T>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            if (!s.FromZero)
            {
                s0 = Vector128.LoadUnsafe(ref c);
                s1 = Vector128.LoadUnsafe(ref c, v1);
                s2 = Vector128.LoadUnsafe(ref c, v2);
                s3 = Vector128.LoadUnsafe(ref c, v3);
                s4 = Vector128.LoadUnsafe(ref c, v4);
                s5 = Vector128.LoadUnsafe(ref c, v5);
                s6 = Vector128.LoadUnsafe(ref c, v6);
                s7 = Vector128.LoadUnsafe(ref c, v7);
            }

            ref T a = ref s.A;
            ref T b = ref Unsafe.Add(ref s.B, j);
            for (int p = 0; p < s.K; p++)
            {
                var x = Vector128.Create(a);
                s0 += Vector128.LoadUnsafe(ref b) * x;
                s1 += Vector128.LoadUnsafe(ref b, v1) * x;
                s2 += Vector128.LoadUnsafe(ref b, v2) * x;
                s3 += Vector128.LoadUnsafe(ref b, v3) * x;
                s4 += Vector128.LoadUnsafe(ref b, v4) * x;
                s5 += Vector128.LoadUnsafe(ref b, v5) * x;
                s6 += Vector128.LoadUnsafe(ref b, v6) * x;
                s7 += Vector128.LoadUnsafe(ref b, v7) * x;
                a = ref Unsafe.Add(ref a, s.Sa);
                b = ref Unsafe.Add(ref b, s.Ldb);
            }

            s0.StoreUnsafe(ref c);
            s1.StoreUnsafe(ref c, v1);
            s2.StoreUnsafe(ref c, v2);
            s3.StoreUnsafe(ref c, v3);
            s4.StoreUnsafe(ref c, v4);
            s5.StoreUnsafe(ref c, v5);
            s6.StoreUnsafe(ref c, v6);
            s7.StoreUnsafe(ref c, v7);
        }

        return j;
    }

    /// <summary>Single Vector512 columns of a <see cref="RowSweep{T}"/> from <paramref name="j"/>; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Single512<T>(in RowSweep<T> s, int j, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
        {
            ref T c = ref Unsafe.Add(ref s.C, j);
            Vector512<T> sum = s.FromZero ? Vector512<T>.Zero : Vector512.LoadUnsafe(ref c);
            ref T a = ref s.A;
            ref T b = ref Unsafe.Add(ref s.B, j);
            for (int p = 0; p < s.K; p++)
            {
                sum += Vector512.LoadUnsafe(ref b) * Vector512.Create(a);
                a = ref Unsafe.Add(ref a, s.Sa);
                b = ref Unsafe.Add(ref b, s.Ldb);
            }

            sum.StoreUnsafe(ref c);
        }

        return j;
    }

    /// <summary>Single Vector256 columns of a <see cref="RowSweep{T}"/> from <paramref name="j"/>; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Single256<T>(in RowSweep<T> s, int j, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (; j <= n - Vector256<T>.Count; j += Vector256<T>.Count)
        {
            ref T c = ref Unsafe.Add(ref s.C, j);
            Vector256<T> sum = s.FromZero ? Vector256<T>.Zero : Vector256.LoadUnsafe(ref c);
            ref T a = ref s.A;
            ref T b = ref Unsafe.Add(ref s.B, j);
            for (int p = 0; p < s.K; p++)
            {
                sum += Vector256.LoadUnsafe(ref b) * Vector256.Create(a);
                a = ref Unsafe.Add(ref a, s.Sa);
                b = ref Unsafe.Add(ref b, s.Ldb);
            }

            sum.StoreUnsafe(ref c);
        }

        return j;
    }

    /// <summary>Single Vector128 columns of a <see cref="RowSweep{T}"/> from <paramref name="j"/>; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Single128<T>(in RowSweep<T> s, int j, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (; j <= n - Vector128<T>.Count; j += Vector128<T>.Count)
        {
            ref T c = ref Unsafe.Add(ref s.C, j);
            Vector128<T> sum = s.FromZero ? Vector128<T>.Zero : Vector128.LoadUnsafe(ref c);
            ref T a = ref s.A;
            ref T b = ref Unsafe.Add(ref s.B, j);
            for (int p = 0; p < s.K; p++)
            {
                sum += Vector128.LoadUnsafe(ref b) * Vector128.Create(a);
                a = ref Unsafe.Add(ref a, s.Sa);
                b = ref Unsafe.Add(ref b, s.Ldb);
            }

            sum.StoreUnsafe(ref c);
        }

        return j;
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

    // ------------------------------------------------------------------------------------------------------------
    // Blocked, packed path.

    // The blocking sizes below are JIT-time constants for a given T and machine. On the 256-bit and narrower paths
    // they are chosen for caches like an AMD EPYC's (L1d 32 KB, L2 512 KB): a B micro-panel (KC x NR) plus an A
    // micro-panel (MR x KC) fit in L1, an A block (MC x KC) in L2, and a B block (KC x NC) in L3. The Vector512 path
    // turns the inner loops round (see Macro): its A micro-panel (12 x KC, 18 KB) stays in L1 and its B block
    // (KC x NC, 768 KB) in L2, which lets KC be 384 floats, so C is read and written half as often.

    // Columns of a micro-tile (Operands.NR): 64 bytes (two Vector256, four Vector128, or the scalar kernel's 16 floats
    // / 8 doubles), or 128 bytes (two Vector512) on the Vector512 path. Rows (Operands.MR): 6, or 12 on the Vector512
    // path. Depth of a k block (Operands.KC): 256, or 1536 bytes' worth on the Vector512 path; it depends only on the
    // machine and the kernel path, never on the thread split. All follow KernelOptions.Path as read once per product,
    // as MicroKernel does: packing and kernel agree.

    /// <summary>Rows of C per packed A block (a multiple of both MRs): about 110-150 KB of A, well inside L2 (220 KB with the Vector512 path's deeper k blocks).</summary>
    internal static int MC<T>()
        where T : unmanaged => Unsafe.SizeOf<T>() == 4 ? 144 : 72;

    /// <summary>Columns of C per packed B block (a multiple of NR) on the 256-bit and narrower paths.</summary>
    internal static int NC<T>()
        where T : unmanaged => Unsafe.SizeOf<T>() == 4 ? 4096 : 2048;

    private static unsafe void Blocked<T>(in Operands<T> o, long work, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int threads = 1;
        if (work >= ParallelThreshold && maxThreads > 1)
        {
            threads = (int)Math.Min(maxThreads, work / MinWorkPerThread);
        }

        if (threads <= 1)
        {
            BlockedRange(o, 0, o.M, 0, o.N);
            return;
        }

        var job = ParallelJob<T>.ForThisThread(o, threads);
        if (job.Tasks <= 1)
        {
            BlockedRange(o, 0, o.M, 0, o.N);
            return;
        }

        WorkerPool.Run(job, job.Tasks, threads);
    }

    /// <summary>Splits C into a grid of rectangles, one per thread, aligned to micro-tiles.</summary>
    /// <remarks>One instance per calling thread, refilled for each call, so a parallel GEMM allocates nothing.</remarks>
    private sealed class ParallelJob<T> : ParallelWork
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static ParallelJob<T>? t_instance;

        private Operands<T> _o;
        private int _mTiles, _nTiles, _tm, _tn;

        public static ParallelJob<T> ForThisThread(in Operands<T> o, int threads)
        {
            var job = t_instance ??= new ParallelJob<T>();
            job.Plan(o, threads);
            return job;
        }

        private void Plan(in Operands<T> o, int threads)
        {
            _o = o;
            _tm = _tn = 0;
            int nr = o.NR, mr = o.MR;
            _mTiles = (o.M + mr - 1) / mr;
            _nTiles = (o.N + nr - 1) / nr;
            int nc = o.NC;
            int kcMax = o.KcMax; // as BlockedRange blocks k

            // Pick the grid tm x tn (tm * tn = t, largest t <= threads that fits) that minimizes the busiest
            // thread's compute plus its packing (A is packed once per NC block of its columns, B once, unless B was
            // packed in advance: then every thread multiplies from that copy and packs no B).
            bool packedInAdvance = o.PackedB is not null;
            for (int t = threads; t >= 1 && _tm == 0; t--)
            {
                double best = double.MaxValue;
                for (int tm = 1; tm <= t; tm++)
                {
                    if (t % tm != 0)
                    {
                        continue;
                    }

                    int tn = t / tm;
                    if (tm > _mTiles || tn > _nTiles)
                    {
                        continue;
                    }

                    double rows = (double)((_mTiles + tm - 1) / tm) * mr;
                    double cols = (double)((_nTiles + tn - 1) / tn) * nr;
                    // Packing a row-major A costs more per element than the vector copies that pack B or a transposed
                    // A: weigh it so, which favours splitting the rows of a forward pass's product (measured at
                    // 128x784x256: ~140 -> ~190 GFLOP/s on 2 threads).
                    double aWeight = o.TransA ? 12.0 : 36.0;
                    double bCost = packedInAdvance ? 0 : 12.0 * cols;
                    double cost = (rows * cols) + (aWeight * rows * Math.Ceiling(cols / nc)) + bCost;
                    // A thread's packed B block stays in its L2 beside C's rows only while it is small: past 512 KB,
                    // charge the compute for the misses (1024^3 split by rows, 700 KB blocks: ~125 GFLOP/s sustained;
                    // by columns, 350 KB: ~150). The Vector512 path's blocks are sized for L2 by NC already.
                    double blockBytes = (double)kcMax * Math.Min(cols, nc) * Unsafe.SizeOf<T>();
                    double l2Bytes = o.Width == 512 ? 1024 * 1024 : 512 * 1024;
                    cost += rows * cols * 0.1 * Math.Max(0, (blockBytes / l2Bytes) - 1);
                    if (cost < best)
                    {
                        best = cost;
                        _tm = tm;
                        _tn = tn;
                    }
                }
            }
        }

        public int Tasks => _tm * _tn;

        public override void Execute(int task)
        {
            int ti = task / _tn, tj = task % _tn;
            int nr = _o.NR, mr = _o.MR;
            int i0 = Math.Min(_o.M, (int)((long)_mTiles * ti / _tm) * mr);
            int i1 = Math.Min(_o.M, (int)((long)_mTiles * (ti + 1) / _tm) * mr);
            int j0 = Math.Min(_o.N, (int)((long)_nTiles * tj / _tn) * nr);
            int j1 = Math.Min(_o.N, (int)((long)_nTiles * (tj + 1) / _tn) * nr);
            if (i0 < i1 && j0 < j1)
            {
                BlockedRange(_o, i0, i1, j0, j1);
            }
        }
    }

    /// <summary>The BLIS loop nest over the rectangle [i0, i1) x [j0, j1) of C, on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no slow tier-0 code while a model warms up
    private static unsafe void BlockedRange<T>(in Operands<T> o, int i0, int i1, int j0, int j1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nr = o.NR, mr = o.MR;
        int mcMax = MC<T>();
        int ncMax = o.NC;
        int k = o.K;
        int kcMax = o.KcMax; // depends on k only, never on the thread split

        int width = j1 - j0;
        int ncAlloc = Math.Min(ncMax, (width + nr - 1) / nr * nr);
        int mcAlloc = Math.Min(mcMax, (i1 - i0 + mr - 1) / mr * mr);
        // B packed in advance serves any rectangle (a split's columns start on a strip), block for block: the column
        // blocks then follow the copy's NC grid, so that none straddles two of its blocks. Which columns share a
        // block never changes a sum.
        var prepacked = o.PackedB;
        // Then A is the only operand left to pack, and on the Vector512 path the kernel reads a row-major A where it
        // lies instead: a strip's 12 row segments stay in L1 across the B strips as a packed micro-panel would. The
        // kernel sees the same values in the same order, so the bits are the same.
        bool aInPlace = prepacked is not null && !o.TransA && o.Width == 512;
        T* scratchB = prepacked is null ? Scratch<T>.B(kcMax * ncAlloc) : null;
        T* packedA = Scratch<T>.A(kcMax * mcAlloc);
        T* tile = stackalloc T[MR512 * 32];

        for (int jc = j0; jc < j1;)
        {
            int nc = Math.Min(prepacked is null ? ncMax : ncMax - (jc % ncMax), j1 - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                bool overwrite = pc == 0 && !o.Accumulate;
                T* packedB;
                if (prepacked is null)
                {
                    packedB = scratchB;
                    PackB(o, pc, jc, kc, nc, packedB);
                }
                else
                {
                    packedB = prepacked.Block(jc, pc);
                }

                for (int ic = i0; ic < i1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, i1 - ic);
                    if (aInPlace)
                    {
                        MacroWithAInPlace(o, ic, mc, pc, kc, jc, nc, packedA, packedB, overwrite, tile);
                        continue;
                    }

                    PackA(o, ic, pc, mc, kc, packedA);
                    Macro(mc, nc, kc, packedA, packedB, o.C + ((nint)ic * o.Ldc) + jc, o.Ldc, overwrite, tile, o.Width, nr, mr);
                }
            }

            jc += nc;
        }
    }

    /// <summary>Runs the micro-kernel over every MR x NR tile of an mc x nc block of C.</summary>
    /// <remarks>
    /// On the 256-bit and narrower paths the B micro-panel (KC x NR) is the one kept in L1, so the A strips run inside
    /// the B panels; on the Vector512 path the A micro-panel (12 x KC) is, so the B panels run inside the A strips.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no slow tier-0 code while a model warms up
    private static unsafe void Macro<T>(int mc, int nc, int kc, T* packedA, T* packedB, T* c, int ldc, bool overwrite,
        T* tile, int width, int nr, int mr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (width == 512)
        {
            for (int ir = 0; ir < mc; ir += mr)
            {
                for (int jr = 0; jr < nc; jr += nr)
                {
                    Tile(mc, nc, kc, ir, jr, packedA, packedB, c, ldc, overwrite, tile, width, nr, mr);
                }
            }
        }
        else
        {
            for (int jr = 0; jr < nc; jr += nr)
            {
                for (int ir = 0; ir < mc; ir += mr)
                {
                    Tile(mc, nc, kc, ir, jr, packedA, packedB, c, ldc, overwrite, tile, width, nr, mr);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Macro"/> on the Vector512 path for a row-major A that is not packed: whole 12 x NR tiles read their 12
    /// rows of A where they lie (<see cref="Kernel512{T}"/> with A's row stride); a strip with a partial tile, or short
    /// of 12 rows, is packed as usual for those tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MacroWithAInPlace<T>(in Operands<T> o, int ic, int mc, int pc, int kc, int jc, int nc,
        T* packedA, T* packedB, bool overwrite, T* tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nr = o.NR;
        for (int ir = 0; ir < mc; ir += MR512)
        {
            int mValid = Math.Min(MR512, mc - ir);
            T* c = o.C + ((nint)(ic + ir) * o.Ldc) + jc;
            bool stripPacked = false;
            for (int jr = 0; jr < nc; jr += nr)
            {
                if (mValid == MR512 && nc - jr >= nr)
                {
                    Kernel512(kc, o.A + ((nint)(ic + ir) * o.Lda) + pc, o.Lda, 1, packedB + ((nint)jr * kc), c + jr, o.Ldc, overwrite);
                    continue;
                }

                if (!stripPacked)
                {
                    PackA(o, ic + ir, pc, mValid, kc, packedA);
                    stripPacked = true;
                }

                Tile(mValid, nc, kc, 0, jr, packedA, packedB, c, o.Ldc, overwrite, tile, o.Width, nr, MR512);
            }
        }
    }

    /// <summary>One micro-tile of <see cref="Macro"/>: straight into C when whole, else through a scratch tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tile<T>(int mc, int nc, int kc, int ir, int jr, T* packedA, T* packedB, T* c, int ldc,
        bool overwrite, T* tile, int width, int nr, int mr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nValid = Math.Min(nr, nc - jr);
        int mValid = Math.Min(mr, mc - ir);
        T* bp = packedB + ((nint)jr * kc);
        T* ap = packedA + ((nint)ir * kc);
        T* cp = c + ((nint)ir * ldc) + jr;
        if (mValid == mr && nValid == nr)
        {
            MicroKernel(kc, ap, bp, cp, ldc, overwrite, width, nr);
            return;
        }

        MicroKernel(kc, ap, bp, tile, nr, overwrite: true, width, nr);
        for (int r = 0; r < mValid; r++)
        {
            T* src = tile + (r * nr);
            T* dst = cp + ((nint)r * ldc);
            if (overwrite)
            {
                for (int j = 0; j < nValid; j++)
                {
                    dst[j] = src[j];
                }
            }
            else
            {
                for (int j = 0; j < nValid; j++)
                {
                    dst[j] += src[j];
                }
            }
        }
    }

    /// <summary>
    /// Packs op(A)[ic.., pc..] (mc x kc) as MR-row strips: strip s holds, for each p, the MR values
    /// op(A)[ic + s*MR + r, pc + p] contiguously; rows past mc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no slow tier-0 code while a model warms up
    private static unsafe void PackA<T>(in Operands<T> o, int ic, int pc, int mc, int kc, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint lda = o.Lda;
        int mr = o.MR;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int mValid = Math.Min(mr, mc - ir);
            T* d = dst + ((nint)ir * kc);
            if (!o.TransA)
            {
                // Row-major m x k: each row is contiguous along p.
                T* r0 = o.A + ((ic + ir) * lda) + pc;
                if (mValid == mr)
                {
                    int p = 0;
                    if (typeof(T) == typeof(float) && o.Width >= 128 && Sse.IsSupported)
                    {
                        // Six rows at a time: the 12-row strips of the Vector512 path are two interleaved halves.
                        for (int half = 0; half < mr; half += MR)
                        {
                            p = PackRowStripSse((float*)(r0 + (half * lda)), lda, kc, (float*)(d + half), mr);
                        }

                        d += p * mr;
                    }

                    if (mr == MR)
                    {
                        T* r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda, r5 = r4 + lda;
                        for (; p < kc; p++)
                        {
                            d[0] = r0[p];
                            d[1] = r1[p];
                            d[2] = r2[p];
                            d[3] = r3[p];
                            d[4] = r4[p];
                            d[5] = r5[p];
                            d += MR;
                        }
                    }

                    for (; p < kc; p++)
                    {
                        for (int r = 0; r < mr; r++)
                        {
                            d[r] = r0[(r * lda) + p];
                        }

                        d += mr;
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        int r = 0;
                        for (; r < mValid; r++)
                        {
                            d[r] = r0[(r * lda) + p];
                        }

                        for (; r < mr; r++)
                        {
                            d[r] = T.Zero;
                        }

                        d += mr;
                    }
                }
            }
            else
            {
                // Stored k x m: the MR values for one p are contiguous.
                T* s = o.A + (pc * lda) + ic + ir;
                if (mValid == MR512 && mr == MR512)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        Copy12(s, d);
                        d += MR512;
                        s += lda;
                    }
                }
                else if (mValid == MR && mr == MR)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        d[0] = s[0];
                        d[1] = s[1];
                        d[2] = s[2];
                        d[3] = s[3];
                        d[4] = s[4];
                        d[5] = s[5];
                        d += MR;
                        s += lda;
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        int r = 0;
                        for (; r < mValid; r++)
                        {
                            d[r] = s[r];
                        }

                        for (; r < mr; r++)
                        {
                            d[r] = T.Zero;
                        }

                        d += mr;
                        s += lda;
                    }
                }
            }
        }
    }

    /// <summary>Copies 12 consecutive values (one p of a transposed A's 12-row strip) with vector moves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Copy12<T>(T* s, T* d)
        where T : unmanaged
    {
        if (Vector256<T>.Count == 8)
        {
            Vector256.Store(Vector256.Load(s), d);
            Vector128.Store(Vector128.Load(s + 8), d + 8);
        }
        else
        {
            Vector256.Store(Vector256.Load(s), d);
            Vector256.Store(Vector256.Load(s + 4), d + 4);
            Vector256.Store(Vector256.Load(s + 8), d + 8);
        }
    }

    /// <summary>
    /// Packs four columns at a time of six consecutive rows (r0 and the next five, ld apart) of a row-major A into the
    /// strip layout d[p * stride + r]: a 4 x 4 SSE transpose for rows 0-3 and an interleave for rows 4-5, instead of
    /// six scalar loads and stores per column. Returns the columns packed (a multiple of 4); the caller packs the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int PackRowStripSse(float* r0, nint ld, int kc, float* d, int stride)
    {
        float* r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld, r4 = r3 + ld, r5 = r4 + ld;
        int p = 0;
        for (; p <= kc - 4; p += 4)
        {
            var a0 = Sse.LoadVector128(r0 + p);
            var a1 = Sse.LoadVector128(r1 + p);
            var a2 = Sse.LoadVector128(r2 + p);
            var a3 = Sse.LoadVector128(r3 + p);
            var low01 = Sse.UnpackLow(a0, a1);   // r0[p] r1[p] r0[p+1] r1[p+1]
            var low23 = Sse.UnpackLow(a2, a3);
            var high01 = Sse.UnpackHigh(a0, a1); // r0[p+2] r1[p+2] r0[p+3] r1[p+3]
            var high23 = Sse.UnpackHigh(a2, a3);
            var a4 = Sse.LoadVector128(r4 + p);
            var a5 = Sse.LoadVector128(r5 + p);
            var low45 = Sse.UnpackLow(a4, a5);   // r4[p] r5[p] r4[p+1] r5[p+1]
            var high45 = Sse.UnpackHigh(a4, a5);
            float* o = d + (p * stride);
            Sse.Store(o, Sse.MoveLowToHigh(low01, low23));
            *(long*)(o + 4) = low45.AsInt64().ToScalar();
            Sse.Store(o + stride, Sse.MoveHighToLow(low23, low01));
            *(long*)(o + stride + 4) = low45.AsInt64().GetElement(1);
            Sse.Store(o + (2 * stride), Sse.MoveLowToHigh(high01, high23));
            *(long*)(o + (2 * stride) + 4) = high45.AsInt64().ToScalar();
            Sse.Store(o + (3 * stride), Sse.MoveHighToLow(high23, high01));
            *(long*)(o + (3 * stride) + 4) = high45.AsInt64().GetElement(1);
        }

        return p;
    }

    /// <summary>
    /// Packs op(B)[pc.., jc..] (kc x nc) as NR-column strips: strip s holds, for each p, the NR values
    /// op(B)[pc + p, jc + s*NR + j] contiguously; columns past nc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no slow tier-0 code while a model warms up
    private static unsafe void PackB<T>(in Operands<T> o, int pc, int jc, int kc, int nc, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nr = o.NR;
        nint ldb = o.Ldb;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int nValid = Math.Min(nr, nc - jr);
            T* d = dst + ((nint)jr * kc);
            if (!o.TransB)
            {
                // Row-major k x n: the NR values for one p are contiguous.
                T* s = o.B + (pc * ldb) + jc + jr;
                if (nValid == nr)
                {
                    // The copy follows KernelOptions.Path like the kernel; each branch moves exactly nr values.
                    int copy = o.Width >= 512 && nr == 2 * Vector512<T>.Count ? 512
                        : o.Width >= 256 && nr == 2 * Vector256<T>.Count ? 256
                        : o.Width >= 128 && nr == 4 * Vector128<T>.Count ? 128
                        : 0;
                    for (int p = 0; p < kc; p++)
                    {
                        if (copy == 512)
                        {
                            Vector512.Store(Vector512.Load(s), d);
                            Vector512.Store(Vector512.Load(s + Vector512<T>.Count), d + Vector512<T>.Count);
                        }
                        else if (copy == 256)
                        {
                            Vector256.Store(Vector256.Load(s), d);
                            Vector256.Store(Vector256.Load(s + Vector256<T>.Count), d + Vector256<T>.Count);
                        }
                        else if (copy == 128)
                        {
                            Vector128.Store(Vector128.Load(s), d);
                            Vector128.Store(Vector128.Load(s + Vector128<T>.Count), d + Vector128<T>.Count);
                            Vector128.Store(Vector128.Load(s + (2 * Vector128<T>.Count)), d + (2 * Vector128<T>.Count));
                            Vector128.Store(Vector128.Load(s + (3 * Vector128<T>.Count)), d + (3 * Vector128<T>.Count));
                        }
                        else
                        {
                            for (int j = 0; j < nr; j++)
                            {
                                d[j] = s[j];
                            }
                        }

                        d += nr;
                        s += ldb;
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        int j = 0;
                        for (; j < nValid; j++)
                        {
                            d[j] = s[j];
                        }

                        for (; j < nr; j++)
                        {
                            d[j] = T.Zero;
                        }

                        d += nr;
                        s += ldb;
                    }
                }
            }
            else
            {
                // Stored n x k: each column of op(B) is contiguous along p; transpose NR of them.
                T* s = o.B + ((jc + jr) * ldb) + pc;
                // AVX transposes are 256-bit work: only on the Vector256 and Vector512 paths.
                if (o.Width >= 256 && Avx.IsSupported && nValid == nr)
                {
                    if (typeof(T) == typeof(float))
                    {
                        PackTransposedAvx((float*)s, ldb, kc, nr, (float*)d);
                        continue;
                    }

                    if (typeof(T) == typeof(double))
                    {
                        PackTransposedAvx((double*)s, ldb, kc, nr, (double*)d);
                        continue;
                    }
                }

                for (int j = 0; j < nValid; j++)
                {
                    T* sj = s + (j * ldb);
                    T* dj = d + j;
                    for (int p = 0; p < kc; p++)
                    {
                        dj[p * nr] = sj[p];
                    }
                }

                for (int j = nValid; j < nr; j++)
                {
                    T* dj = d + j;
                    for (int p = 0; p < kc; p++)
                    {
                        dj[p * nr] = T.Zero;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs one full NR-column strip of a transposed B with 8 x 8 AVX transposes: d[p * nr + j] = s[j * ldb + p]
    /// for j &lt; nr, p &lt; kc.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no slow tier-0 code while a model warms up
    private static unsafe void PackTransposedAvx(float* s, nint ldb, int kc, int nr, float* d)
    {
        int pEnd = kc & ~7;
        for (int j0 = 0; j0 < nr; j0 += 8)
        {
            float* src = s + (j0 * ldb);
            float* dst = d + j0;
            for (int p = 0; p < pEnd; p += 8)
            {
                float* r = src + p;
                Vector256<float> r0 = Avx.LoadVector256(r);
                Vector256<float> r1 = Avx.LoadVector256(r + ldb);
                Vector256<float> r2 = Avx.LoadVector256(r + (2 * ldb));
                Vector256<float> r3 = Avx.LoadVector256(r + (3 * ldb));
                Vector256<float> r4 = Avx.LoadVector256(r + (4 * ldb));
                Vector256<float> r5 = Avx.LoadVector256(r + (5 * ldb));
                Vector256<float> r6 = Avx.LoadVector256(r + (6 * ldb));
                Vector256<float> r7 = Avx.LoadVector256(r + (7 * ldb));

                Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
                Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
                Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
                Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

                Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
                Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
                Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
                Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

                float* o = dst + (p * nr);
                Avx.Store(o, Avx.Permute2x128(u0, u4, 0x20));
                Avx.Store(o + nr, Avx.Permute2x128(u1, u5, 0x20));
                Avx.Store(o + (2 * nr), Avx.Permute2x128(u2, u6, 0x20));
                Avx.Store(o + (3 * nr), Avx.Permute2x128(u3, u7, 0x20));
                Avx.Store(o + (4 * nr), Avx.Permute2x128(u0, u4, 0x31));
                Avx.Store(o + (5 * nr), Avx.Permute2x128(u1, u5, 0x31));
                Avx.Store(o + (6 * nr), Avx.Permute2x128(u2, u6, 0x31));
                Avx.Store(o + (7 * nr), Avx.Permute2x128(u3, u7, 0x31));
            }

            for (int p = pEnd; p < kc; p++)
            {
                for (int j = 0; j < 8; j++)
                {
                    dst[(p * nr) + j] = src[(j * ldb) + p];
                }
            }
        }
    }

    /// <summary>The double version of <see cref="PackTransposedAvx(float*, nint, int, int, float*)"/>, with 4 x 4 transposes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no slow tier-0 code while a model warms up
    private static unsafe void PackTransposedAvx(double* s, nint ldb, int kc, int nr, double* d)
    {
        int pEnd = kc & ~3;
        for (int j0 = 0; j0 < nr; j0 += 4)
        {
            double* src = s + (j0 * ldb);
            double* dst = d + j0;
            for (int p = 0; p < pEnd; p += 4)
            {
                double* r = src + p;
                Vector256<double> r0 = Avx.LoadVector256(r);
                Vector256<double> r1 = Avx.LoadVector256(r + ldb);
                Vector256<double> r2 = Avx.LoadVector256(r + (2 * ldb));
                Vector256<double> r3 = Avx.LoadVector256(r + (3 * ldb));

                Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
                Vector256<double> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);

                double* o = dst + (p * nr);
                Avx.Store(o, Avx.Permute2x128(t0, t2, 0x20));
                Avx.Store(o + nr, Avx.Permute2x128(t1, t3, 0x20));
                Avx.Store(o + (2 * nr), Avx.Permute2x128(t0, t2, 0x31));
                Avx.Store(o + (3 * nr), Avx.Permute2x128(t1, t3, 0x31));
            }

            for (int p = pEnd; p < kc; p++)
            {
                for (int j = 0; j < 4; j++)
                {
                    dst[(p * nr) + j] = src[(j * ldb) + p];
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Micro-kernels: C[0..MR, 0..NR] (=|+=) sum_p a[p*MR + i] * b[p*NR + j].

    /// <summary>
    /// Runs the widest kernel <see cref="KernelOptions.Path"/> allows; the tile is MR x NR, which
    /// follows the same flags (Vector512: 2 x Vector512 wide; otherwise 64 bytes, as 2 x Vector256, 4 x Vector128 or
    /// scalar columns).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MicroKernel<T>(int kc, T* a, T* b, T* c, nint ldc, bool overwrite, int width, int nr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (width == 512)
        {
            Kernel512(kc, a, 1, MR512, b, c, ldc, overwrite); // a packed micro-panel: 12 values per step
        }
        else if (width == 256)
        {
            Kernel256(kc, a, b, c, ldc, overwrite);
        }
        else if (width == 128)
        {
            Kernel128(kc, a, b, c, ldc, overwrite, 0);
            Kernel128(kc, a, b, c, ldc, overwrite, 2 * Vector128<T>.Count);
        }
        else
        {
            KernelScalar(kc, a, b, c, ldc, overwrite, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> MulAdd<T>(Vector256<T> x, Vector256<T> y, Vector256<T> acc)
    {
        if (Fma.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Fma.MultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                return Fma.MultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
            }
        }

        return (x * y) + acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> MulAdd<T>(Vector512<T> x, Vector512<T> y, Vector512<T> acc)
    {
        if (Avx512F.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
            }
        }

        return (x * y) + acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> MulAdd<T>(Vector128<T> x, Vector128<T> y, Vector128<T> acc)
    {
        if (Fma.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Fma.MultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                return Fma.MultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
            }
        }
        else if (AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return AdvSimd.FusedMultiplyAdd(acc.AsSingle(), x.AsSingle(), y.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double) && AdvSimd.Arm64.IsSupported)
            {
                return AdvSimd.Arm64.FusedMultiplyAdd(acc.AsDouble(), x.AsDouble(), y.AsDouble()).As<double, T>();
            }
        }

        return (x * y) + acc;
    }

    /// <summary>The 6 x (2 Vector256) kernel: 12 accumulators, 2 B loads and 6 broadcasts per step of k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel256<T>(int kc, T* a, T* b, T* c, nint ldc, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;

        for (int p = 0; p < kc; p++)
        {
            Vector256<T> b0 = Vector256.Load(b);
            Vector256<T> b1 = Vector256.Load(b + v);
            Vector256<T> x = Vector256.Create(a[0]);
            c00 = MulAdd(x, b0, c00);
            c01 = MulAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = MulAdd(x, b0, c10);
            c11 = MulAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = MulAdd(x, b0, c20);
            c21 = MulAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = MulAdd(x, b0, c30);
            c31 = MulAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = MulAdd(x, b0, c40);
            c41 = MulAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = MulAdd(x, b0, c50);
            c51 = MulAdd(x, b1, c51);
            a += MR;
            b += 2 * v;
        }

        if (overwrite)
        {
            Vector256.Store(c00, c);
            Vector256.Store(c01, c + v);
            c += ldc;
            Vector256.Store(c10, c);
            Vector256.Store(c11, c + v);
            c += ldc;
            Vector256.Store(c20, c);
            Vector256.Store(c21, c + v);
            c += ldc;
            Vector256.Store(c30, c);
            Vector256.Store(c31, c + v);
            c += ldc;
            Vector256.Store(c40, c);
            Vector256.Store(c41, c + v);
            c += ldc;
            Vector256.Store(c50, c);
            Vector256.Store(c51, c + v);
        }
        else
        {
            Vector256.Store(Vector256.Load(c) + c00, c);
            Vector256.Store(Vector256.Load(c + v) + c01, c + v);
            c += ldc;
            Vector256.Store(Vector256.Load(c) + c10, c);
            Vector256.Store(Vector256.Load(c + v) + c11, c + v);
            c += ldc;
            Vector256.Store(Vector256.Load(c) + c20, c);
            Vector256.Store(Vector256.Load(c + v) + c21, c + v);
            c += ldc;
            Vector256.Store(Vector256.Load(c) + c30, c);
            Vector256.Store(Vector256.Load(c + v) + c31, c + v);
            c += ldc;
            Vector256.Store(Vector256.Load(c) + c40, c);
            Vector256.Store(Vector256.Load(c + v) + c41, c + v);
            c += ldc;
            Vector256.Store(Vector256.Load(c) + c50, c);
            Vector256.Store(Vector256.Load(c + v) + c51, c + v);
        }
    }

    /// <summary>
    /// The 12 x (2 Vector512) kernel for AVX-512 machines: 24 accumulators, 2 B loads and 12 broadcasts per step of k
    /// (twice the FMAs per load of the 6-row kernels, which the 16 registers of AVX2 cannot hold). Row r of A at step p
    /// is a[r * <paramref name="rowStride"/> + p * <paramref name="step"/>]: a packed micro-panel (1, 12), or 12 rows of
    /// a row-major A read where they lie (lda, 1); either way the same broadcasts and FMAs in the same order, so the
    /// same bits. C's tile is prefetched first, so its loads at the end do not stall on the cache misses of a C larger
    /// than L2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512<T>(int kc, T* a, nint rowStride, nint step, T* b, T* c, nint ldc, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        if (Sse.IsSupported)
        {
            T* pc = c;
            for (int r = 0; r < MR512; r++)
            {
                Sse.Prefetch0(pc);
                Sse.Prefetch0(pc + v);
                pc += ldc;
            }
        }

        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;

        // Three row pointers and three row offsets address all 12 rows (base + offset * element size).
        T* r0 = a, r4 = a + (4 * rowStride), r8 = a + (8 * rowStride);
        nint l1 = rowStride, l2 = 2 * rowStride, l3 = 3 * rowStride;
        for (int p = 0; p < kc; p++)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(b + (8 * 2 * v)); // the B panel streams from L2: ask for it 8 steps ahead
            }

            Vector512<T> b0 = Vector512.Load(b);
            Vector512<T> b1 = Vector512.Load(b + v);
            Vector512<T> x = Vector512.Create(r0[0]);
            c00 = MulAdd(x, b0, c00);
            c01 = MulAdd(x, b1, c01);
            x = Vector512.Create(r0[l1]);
            c10 = MulAdd(x, b0, c10);
            c11 = MulAdd(x, b1, c11);
            x = Vector512.Create(r0[l2]);
            c20 = MulAdd(x, b0, c20);
            c21 = MulAdd(x, b1, c21);
            x = Vector512.Create(r0[l3]);
            c30 = MulAdd(x, b0, c30);
            c31 = MulAdd(x, b1, c31);
            x = Vector512.Create(r4[0]);
            c40 = MulAdd(x, b0, c40);
            c41 = MulAdd(x, b1, c41);
            x = Vector512.Create(r4[l1]);
            c50 = MulAdd(x, b0, c50);
            c51 = MulAdd(x, b1, c51);
            x = Vector512.Create(r4[l2]);
            c60 = MulAdd(x, b0, c60);
            c61 = MulAdd(x, b1, c61);
            x = Vector512.Create(r4[l3]);
            c70 = MulAdd(x, b0, c70);
            c71 = MulAdd(x, b1, c71);
            x = Vector512.Create(r8[0]);
            c80 = MulAdd(x, b0, c80);
            c81 = MulAdd(x, b1, c81);
            x = Vector512.Create(r8[l1]);
            c90 = MulAdd(x, b0, c90);
            c91 = MulAdd(x, b1, c91);
            x = Vector512.Create(r8[l2]);
            c100 = MulAdd(x, b0, c100);
            c101 = MulAdd(x, b1, c101);
            x = Vector512.Create(r8[l3]);
            c110 = MulAdd(x, b0, c110);
            c111 = MulAdd(x, b1, c111);
            r0 += step;
            r4 += step;
            r8 += step;
            b += 2 * v;
        }

        StoreRow512(c, c00, c01, overwrite);
        StoreRow512(c += ldc, c10, c11, overwrite);
        StoreRow512(c += ldc, c20, c21, overwrite);
        StoreRow512(c += ldc, c30, c31, overwrite);
        StoreRow512(c += ldc, c40, c41, overwrite);
        StoreRow512(c += ldc, c50, c51, overwrite);
        StoreRow512(c += ldc, c60, c61, overwrite);
        StoreRow512(c += ldc, c70, c71, overwrite);
        StoreRow512(c += ldc, c80, c81, overwrite);
        StoreRow512(c += ldc, c90, c91, overwrite);
        StoreRow512(c += ldc, c100, c101, overwrite);
        StoreRow512(c += ldc, c110, c111, overwrite);
    }

    /// <summary>One row of a 12 x (2 Vector512) tile into C: stored, or added to what C holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow512<T>(T* c, Vector512<T> x0, Vector512<T> x1, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (overwrite)
        {
            Vector512.Store(x0, c);
            Vector512.Store(x1, c + Vector512<T>.Count);
        }
        else
        {
            Vector512.Store(Vector512.Load(c) + x0, c);
            Vector512.Store(Vector512.Load(c + Vector512<T>.Count) + x1, c + Vector512<T>.Count);
        }
    }

    /// <summary>
    /// The Vector128 kernel (no 256-bit vectors): one half of the NR columns, starting at <paramref name="offset"/>,
    /// with 6 x 2 Vector128 accumulators; called twice per tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel128<T>(int kc, T* a, T* b, T* c, nint ldc, bool overwrite, int offset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector128<T>.Count;
        int nr = 64 / Unsafe.SizeOf<T>(); // the tile width on the Vector128 path
        b += offset;
        c += offset;
        Vector128<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;

        for (int p = 0; p < kc; p++)
        {
            Vector128<T> b0 = Vector128.Load(b);
            Vector128<T> b1 = Vector128.Load(b + v);
            Vector128<T> x = Vector128.Create(a[0]);
            c00 = MulAdd(x, b0, c00);
            c01 = MulAdd(x, b1, c01);
            x = Vector128.Create(a[1]);
            c10 = MulAdd(x, b0, c10);
            c11 = MulAdd(x, b1, c11);
            x = Vector128.Create(a[2]);
            c20 = MulAdd(x, b0, c20);
            c21 = MulAdd(x, b1, c21);
            x = Vector128.Create(a[3]);
            c30 = MulAdd(x, b0, c30);
            c31 = MulAdd(x, b1, c31);
            x = Vector128.Create(a[4]);
            c40 = MulAdd(x, b0, c40);
            c41 = MulAdd(x, b1, c41);
            x = Vector128.Create(a[5]);
            c50 = MulAdd(x, b0, c50);
            c51 = MulAdd(x, b1, c51);
            a += MR;
            b += nr;
        }

        Store128(c, v, c00, c01, overwrite);
        Store128(c + ldc, v, c10, c11, overwrite);
        Store128(c + (2 * ldc), v, c20, c21, overwrite);
        Store128(c + (3 * ldc), v, c30, c31, overwrite);
        Store128(c + (4 * ldc), v, c40, c41, overwrite);
        Store128(c + (5 * ldc), v, c50, c51, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store128<T>(T* c, int v, Vector128<T> x0, Vector128<T> x1, bool overwrite)
        where T : unmanaged
    {
        if (!overwrite)
        {
            x0 = Vector128.Load(c) + x0;
            x1 = Vector128.Load(c + v) + x1;
        }

        Vector128.Store(x0, c);
        Vector128.Store(x1, c + v);
    }

    /// <summary>The kernel for hardware without SIMD acceleration.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no slow tier-0 code while a model warms up
    private static unsafe void KernelScalar<T>(int kc, T* a, T* b, T* c, nint ldc, bool overwrite, int nr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* acc = stackalloc T[MR * 32];
        new Span<T>(acc, MR * nr).Clear();
        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < MR; i++)
            {
                T x = a[i];
                T* row = acc + (i * nr);
                for (int j = 0; j < nr; j++)
                {
                    row[j] += x * b[j];
                }
            }

            a += MR;
            b += nr;
        }

        for (int i = 0; i < MR; i++)
        {
            T* row = acc + (i * nr);
            T* ci = c + (i * ldc);
            for (int j = 0; j < nr; j++)
            {
                ci[j] = overwrite ? row[j] : ci[j] + row[j];
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // State.

    /// <summary>The operands of one call, as raw pointers (the spans are pinned for the whole call).</summary>
    internal readonly unsafe struct Operands<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Operands(bool transA, bool transB, int m, int n, int k, T* a, int lda, T* b, int ldb, T* c, int ldc,
            bool accumulate, PackedB<T>? packedB = null)
        {
            TransA = transA;
            TransB = transB;
            M = m;
            N = n;
            K = k;
            A = a;
            Lda = lda;
            B = b;
            Ldb = ldb;
            C = c;
            Ldc = ldc;
            Accumulate = accumulate;
            // The kernel path is read once per multiplication: packing, tiling and micro-kernel must agree even if
            // KernelOptions.Path changes while this product runs on several threads.
            Width = KernelOptions.UseVector512 ? 512 : KernelOptions.UseVector256 ? 256 : KernelOptions.UseVector128 ? 128 : 0;
            NR = (Width == 512 ? 128 : 64) / sizeof(T);
            MR = Width == 512 ? MR512 : Gemm.MR;
            // On the Vector512 path the A micro-panel (12 x KC, 18 KB) stays in L1 while the B block streams from L2,
            // so KC can be deep (fewer passes over C) and NC keeps that B block (KC x NC, 768 KB) inside L2.
            KC = Width == 512 ? 1536 / sizeof(T) : 256;
            NC = Width == 512 ? 512 : NC<T>();
            // Decided once, here, for every route and thread of this product.
            PackedB = packedB is not null && packedB.Fits(this) ? packedB : null;
        }

        /// <summary>Rows of a micro-tile on this product's path.</summary>
        public int MR { get; }

        /// <summary>
        /// The copy of B packed in advance that every route of this product multiplies from: the one it was given, when
        /// that fits this product's blocking (<see cref="PackedB{T}.Fits"/>); else null, and B is read.
        /// </summary>
        public PackedB<T>? PackedB { get; }

        /// <summary>
        /// The depth of this product's k blocks: k split evenly into blocks of at most <see cref="KC"/> (balanced, so the
        /// last block is not a sliver).
        /// </summary>
        public int KcMax
        {
            get
            {
                int kBlocks = (K + KC - 1) / KC;
                return kBlocks == 0 ? 0 : (K + kBlocks - 1) / kBlocks;
            }
        }

        /// <summary>Columns of C per packed B block on this product's path (a multiple of NR).</summary>
        public int NC { get; }

        /// <summary>The widest vectors this product uses (512, 256, 128, or 0 for scalar), fixed for its whole run.</summary>
        public int Width { get; }

        /// <summary>Columns of a micro-tile on this product's path.</summary>
        public int NR { get; }

        /// <summary>Depth of a k block on this product's path.</summary>
        public int KC { get; }

        public bool TransA { get; }

        public bool TransB { get; }

        public int M { get; }

        public int N { get; }

        public int K { get; }

        public T* A { get; }

        public int Lda { get; }

        public T* B { get; }

        public int Ldb { get; }

        public T* C { get; }

        public int Ldc { get; }

        public bool Accumulate { get; }
    }

    /// <summary>
    /// A row-major k x n B packed once, in advance, into the panels the blocked path multiplies from (for the kernel path
    /// current when it was packed), so that products which multiply many A's by the same B, such as frozen inference
    /// weights, skip packing it at every call.
    /// </summary>
    /// <remarks>
    /// A product uses it wherever its own blocking is the one it was packed for (<see cref="Fits"/>: same shape,
    /// kernel path and blocks), whichever route the product takes and however it is split over threads; a product
    /// that does not fit packs B from its span as usual. The panels hold exactly the values packing at the call would
    /// write, and the single-row sweep and the direct loop read them in the order they read B, so the bits never
    /// depend on which. The copy is not linked to the B it was made from: a change to that B is not seen until it is
    /// packed again.
    /// </remarks>
    internal sealed unsafe class PackedB<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T[] buffer; // on the pinned heap, so that Start holds
        private readonly int offset;

        private PackedB(int k, int n, int width, int nr, int kcMax, int nc, T[] buffer, int offset)
        {
            K = k;
            N = n;
            Width = width;
            NR = nr;
            KcMax = kcMax;
            NC = nc;
            this.buffer = buffer;
            this.offset = offset;
        }

        /// <summary>Rows of B (the products' k).</summary>
        public int K { get; }

        /// <summary>Columns of B (the products' n).</summary>
        public int N { get; }

        /// <summary>The kernel path's vector width it was packed for (512, 256, 128, or 0 for scalar).</summary>
        public int Width { get; }

        private int NR { get; }

        private int KcMax { get; }

        private int NC { get; }

        /// <summary>The first panel, 64-byte aligned.</summary>
        public T* Start => (T*)Unsafe.AsPointer(ref buffer[offset]);

        /// <summary>Whether B packed now, on the current kernel path, would come out as this copy's layout.</summary>
        public bool FitsCurrentPath
        {
            get
            {
                var probe = new Operands<T>(false, false, 0, N, K, null, Math.Max(1, K), null, Math.Max(1, N), null, Math.Max(1, N), false);
                return Fits(probe);
            }
        }

        /// <summary>
        /// The packed strips of the k block starting at row <paramref name="pc"/> (a multiple of the k-block depth), from
        /// column <paramref name="jc"/> (a multiple of NR) to the end of its NC block: strip after strip, each kc rows of
        /// NR values.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public T* Block(int jc, int pc)
        {
            int jcBlock = jc / NC * NC;
            int kc = Math.Min(KcMax, K - pc);
            nint stripsWidth = (Math.Min(NC, N - jcBlock) + NR - 1) / NR * NR;
            return Start + ((nint)jcBlock * K) + (pc * stripsWidth) + ((nint)(jc - jcBlock) * kc);
        }

        /// <summary>Column <paramref name="j"/> of the k block starting at row <paramref name="pc"/>: its rows lie NR apart.</summary>
        public T* Column(int j, int pc) => Block(j - (j % NR), pc) + (j % NR);

        /// <summary>The elements of one packed block: kc rows of nc columns rounded up to whole NR-column strips.</summary>
        public static nint BlockLength(int kc, int nc, int nr) => (nint)kc * ((nc + nr - 1) / nr * nr);

        /// <summary>
        /// Packs <paramref name="b"/> (k x n, row-major, rows <paramref name="ldb"/> apart) for the current kernel path,
        /// block by block in the order <see cref="BlockedRange"/> visits them.
        /// </summary>
        public static PackedB<T> Pack(ReadOnlySpan<T> b, int k, int n, int ldb)
        {
            Validate(false, false, 0, n, k, 0, Math.Max(1, k), b.Length, ldb, 0, Math.Max(1, n));
            fixed (T* pb = b)
            {
                var o = new Operands<T>(false, false, 0, n, k, null, Math.Max(1, k), pb, ldb, null, Math.Max(1, n), false);
                int kcMax = o.KcMax, nr = o.NR;
                long length = 0;
                for (int jc = 0; jc < n; jc += o.NC)
                {
                    for (int pc = 0; pc < k; pc += kcMax)
                    {
                        length += BlockLength(Math.Min(kcMax, k - pc), Math.Min(o.NC, n - jc), nr);
                    }
                }

                var buffer = Scratch<T>.NewAligned(checked((int)length));
                var packed = new PackedB<T>(k, n, o.Width, nr, kcMax, o.NC, buffer, Scratch<T>.AlignedOffset(buffer));
                T* dst = packed.Start;
                for (int jc = 0; jc < n; jc += o.NC)
                {
                    int nc = Math.Min(o.NC, n - jc);
                    for (int pc = 0; pc < k; pc += kcMax)
                    {
                        int kc = Math.Min(kcMax, k - pc);
                        PackB(o, pc, jc, kc, nc, dst);
                        dst += BlockLength(kc, nc, nr);
                    }
                }

                return packed;
            }
        }

        /// <summary>Whether <paramref name="o"/> blocks B as this copy was packed (same B shape, path and blocks, B not transposed).</summary>
        public bool Fits(in Operands<T> o) =>
            !o.TransB && o.K == K && o.N == N && o.Width == Width && o.NR == NR && o.NC == NC && o.KcMax == KcMax;
    }

    /// <summary>Per-thread packing buffers, grown as needed and kept, on the pinned heap and 64-byte aligned.</summary>
    private static class Scratch<T>
        where T : unmanaged
    {
        [ThreadStatic]
        private static T[]? s_a;

        [ThreadStatic]
        private static T[]? s_b;

        public static unsafe T* A(int length) => Get(ref s_a, length);

        public static unsafe T* B(int length) => Get(ref s_b, length);

        /// <summary>A new array on the pinned heap with room for <paramref name="length"/> elements from its first 64-byte boundary.</summary>
        public static unsafe T[] NewAligned(int length) =>
            GC.AllocateUninitializedArray<T>(length + (64 / sizeof(T)), pinned: true);

        /// <summary>The index of the first element of a pinned array that lies on a 64-byte boundary.</summary>
        public static unsafe int AlignedOffset(T[] pinned)
        {
            nint misalignment = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned)) & 63;
            return misalignment == 0 ? 0 : (int)((64 - misalignment) / sizeof(T));
        }

        private static unsafe T* Get(ref T[]? buffer, int length)
        {
            if (buffer is null || buffer.Length < length + (64 / sizeof(T)))
            {
                buffer = NewAligned(length);
            }

            return (T*)Unsafe.AsPointer(ref buffer[AlignedOffset(buffer)]);
        }
    }
}

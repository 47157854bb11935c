using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MyTorch.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// c[0, :] (+)= sum_p a[p] * b[p, :], one block of columns at a time: a block's sums stay in registers while the
    /// sweep walks down all k rows of B, so C is read and written once, and each row of B adds one sequential stretch.
    /// Every column is the running sum c (or 0) + a[0] b[0, j] + a[1] b[1, j] + ..., each step a separate multiply
    /// and add (no FMA), so every path, block width and thread split gives the same bits.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The block, not the row of B, is the outer loop: adding a few rows of B at a time to the whole row of C does the
    /// same arithmetic but loads and stores C and sets up its vectors once per few rows, and at batch 1 that costs as
    /// much as the multiplies.
    /// </para>
    /// <para>
    /// The wide loads are not aligned to B's cache lines: a managed array starts wherever the runtime puts it, so a
    /// load may straddle two lines. Starting the wide vectors at a line boundary instead would leave the columns
    /// before it to narrower paths, latency-bound chains of their own with one pass over B each, which cost more than
    /// the straddling loads. A copy of B packed in advance (<see cref="RowTimesPacked{T}"/>) is aligned.
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
        if (V512<T>.IsEnabled)
        {
            j = SweepBlocks<T, V512<T>, Vector512<T>>(sweep, j, n);
        }

        if (V256<T>.IsEnabled)
        {
            j = SweepBlocks<T, V256<T>, Vector256<T>>(sweep, j, n);
        }

        if (V128<T>.IsEnabled)
        {
            j = SweepBlocks<T, V128<T>, Vector128<T>>(sweep, j, n);
        }

        if (V512<T>.IsEnabled)
        {
            j = SweepVectors<T, V512<T>, Vector512<T>>(sweep, j, n);
        }

        if (V256<T>.IsEnabled)
        {
            j = SweepVectors<T, V256<T>, Vector256<T>>(sweep, j, n);
        }

        if (V128<T>.IsEnabled)
        {
            j = SweepVectors<T, V128<T>, Vector128<T>>(sweep, j, n);
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
    /// A split pays once streaming B on several cores saves more than handing the columns to the kernel threads costs
    /// (little, as they spin between calls). 2^17 puts the 1x784x256 layer of batch-1 784-256-128-10 inference above
    /// the line and its 1x256x128 layer below it. `mytorch bench --only inference` (batch 1) measures the
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
        int path = o.Width == 512 && nr == 2 * V512<T>.Count ? 512 : o.Width == 256 && nr == 2 * V256<T>.Count ? 256 : 0;
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
                FourStrips<T, V512<T>, Vector512<T>>(o.A, sa, k, kcMax, copy, j, sums);
            }
            else if (path == 256 && strips == 4)
            {
                FourStrips<T, V256<T>, Vector256<T>>(o.A, sa, k, kcMax, copy, j, sums);
            }
            else if (path != 0)
            {
                for (int t = 0; t < strips; t++)
                {
                    if (path == 512)
                    {
                        OneStrip<T, V512<T>, Vector512<T>>(o.A, sa, k, kcMax, copy, j + (t * nr), sums + (t * nr));
                    }
                    else
                    {
                        OneStrip<T, V256<T>, Vector256<T>>(o.A, sa, k, kcMax, copy, j + (t * nr), sums + (t * nr));
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

    /// <summary>Four whole strips of a copy from column <paramref name="j"/>, two vectors each, added to the running sums in <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourStrips<T, TWidth, TVector>(T* a, nint sa, int k, int kcMax, PackedB<T> copy, int j, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct
    {
        int v = TWidth.Count;
        TVector s0 = TWidth.Load(sums), s1 = TWidth.Load(sums + v);
        TVector s2 = TWidth.Load(sums + (2 * v)), s3 = TWidth.Load(sums + (3 * v));
        TVector s4 = TWidth.Load(sums + (4 * v)), s5 = TWidth.Load(sums + (5 * v));
        TVector s6 = TWidth.Load(sums + (6 * v)), s7 = TWidth.Load(sums + (7 * v));

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
                var x = TWidth.Create(*a);
                s0 = TWidth.Add(s0, TWidth.Multiply(TWidth.Load(b), x));
                s1 = TWidth.Add(s1, TWidth.Multiply(TWidth.Load(b + v), x));
                s2 = TWidth.Add(s2, TWidth.Multiply(TWidth.Load(b1), x));
                s3 = TWidth.Add(s3, TWidth.Multiply(TWidth.Load(b1 + v), x));
                s4 = TWidth.Add(s4, TWidth.Multiply(TWidth.Load(b2), x));
                s5 = TWidth.Add(s5, TWidth.Multiply(TWidth.Load(b2 + v), x));
                s6 = TWidth.Add(s6, TWidth.Multiply(TWidth.Load(b3), x));
                s7 = TWidth.Add(s7, TWidth.Multiply(TWidth.Load(b3 + v), x));
                a += sa;
            }
        }

        TWidth.Store(s0, sums);
        TWidth.Store(s1, sums + v);
        TWidth.Store(s2, sums + (2 * v));
        TWidth.Store(s3, sums + (3 * v));
        TWidth.Store(s4, sums + (4 * v));
        TWidth.Store(s5, sums + (5 * v));
        TWidth.Store(s6, sums + (6 * v));
        TWidth.Store(s7, sums + (7 * v));
    }


    /// <summary>One strip of a copy from column <paramref name="j"/>, two vectors, added to the running sums in <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void OneStrip<T, TWidth, TVector>(T* a, nint sa, int k, int kcMax, PackedB<T> copy, int j, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct
    {
        int v = TWidth.Count;
        TVector s0 = TWidth.Load(sums), s1 = TWidth.Load(sums + v);
        for (int pc = 0; pc < k; pc += kcMax)
        {
            T* b = copy.Block(j, pc);
            T* end = b + ((nint)2 * v * Math.Min(kcMax, k - pc));
            for (; b < end; b += 2 * v)
            {
                var x = TWidth.Create(*a);
                s0 = TWidth.Add(s0, TWidth.Multiply(TWidth.Load(b), x));
                s1 = TWidth.Add(s1, TWidth.Multiply(TWidth.Load(b + v), x));
                a += sa;
            }
        }

        TWidth.Store(s0, sums);
        TWidth.Store(s1, sums + v);
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
    /// but follow the 8-line stretch of each row into L1 too late. Eight rows ahead gives each request the time of
    /// eight rows' multiplies and adds to arrive, while the lines asked for and not yet read (at most 8 rows of 8
    /// lines, 4 KB) stay a small part of L1.
    /// </summary>
    private const int PrefetchRows = 8;

    /// <summary>Blocks of eight vectors' worth of columns of a <see cref="RowSweep{T}"/> from <paramref name="j"/>; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int SweepBlocks<T, TWidth, TVector>(in RowSweep<T> s, int j, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct
    {
        int v = TWidth.Count;
        nuint v1 = (nuint)v, v2 = 2 * v1, v3 = 3 * v1, v4 = 4 * v1, v5 = 5 * v1, v6 = 6 * v1, v7 = 7 * v1;
        for (; j <= n - (8 * v); j += 8 * v)
        {
            ref T c = ref Unsafe.Add(ref s.C, j);
            TVector s0 = TWidth.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            if (!s.FromZero)
            {
                s0 = TWidth.LoadUnsafe(ref c, 0);
                s1 = TWidth.LoadUnsafe(ref c, v1);
                s2 = TWidth.LoadUnsafe(ref c, v2);
                s3 = TWidth.LoadUnsafe(ref c, v3);
                s4 = TWidth.LoadUnsafe(ref c, v4);
                s5 = TWidth.LoadUnsafe(ref c, v5);
                s6 = TWidth.LoadUnsafe(ref c, v6);
                s7 = TWidth.LoadUnsafe(ref c, v7);
            }

            ref T a = ref s.A;
            ref T b = ref Unsafe.Add(ref s.B, j);
            for (int p = 0; p < s.K; p++)
            {
                // A block reads 8 cache lines of a row of B on the Vector512 path and 4 on Vector256 (asked for here);
                // Vector128 blocks are left to the hardware prefetchers.
                if (Sse.IsSupported && BlockBytes<T, TWidth, TVector>() >= 256)
                {
                    // Only a hint: near the end it asks for lines past B, which is harmless, as a prefetch never faults.
                    byte* f = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref b, PrefetchRows * s.Ldb));
                    Sse.Prefetch0(f);
                    Sse.Prefetch0(f + 64);
                    Sse.Prefetch0(f + 128);
                    Sse.Prefetch0(f + 192);
                    if (BlockBytes<T, TWidth, TVector>() >= 512)
                    {
                        Sse.Prefetch0(f + 256);
                        Sse.Prefetch0(f + 320);
                        Sse.Prefetch0(f + 384);
                        Sse.Prefetch0(f + 448);
                    }
                }

                var x = TWidth.Create(a);
                s0 = TWidth.Add(s0, TWidth.Multiply(TWidth.LoadUnsafe(ref b, 0), x));
                s1 = TWidth.Add(s1, TWidth.Multiply(TWidth.LoadUnsafe(ref b, v1), x));
                s2 = TWidth.Add(s2, TWidth.Multiply(TWidth.LoadUnsafe(ref b, v2), x));
                s3 = TWidth.Add(s3, TWidth.Multiply(TWidth.LoadUnsafe(ref b, v3), x));
                s4 = TWidth.Add(s4, TWidth.Multiply(TWidth.LoadUnsafe(ref b, v4), x));
                s5 = TWidth.Add(s5, TWidth.Multiply(TWidth.LoadUnsafe(ref b, v5), x));
                s6 = TWidth.Add(s6, TWidth.Multiply(TWidth.LoadUnsafe(ref b, v6), x));
                s7 = TWidth.Add(s7, TWidth.Multiply(TWidth.LoadUnsafe(ref b, v7), x));
                a = ref Unsafe.Add(ref a, s.Sa);
                b = ref Unsafe.Add(ref b, s.Ldb);
            }

            TWidth.StoreUnsafe(s0, ref c, 0);
            TWidth.StoreUnsafe(s1, ref c, v1);
            TWidth.StoreUnsafe(s2, ref c, v2);
            TWidth.StoreUnsafe(s3, ref c, v3);
            TWidth.StoreUnsafe(s4, ref c, v4);
            TWidth.StoreUnsafe(s5, ref c, v5);
            TWidth.StoreUnsafe(s6, ref c, v6);
            TWidth.StoreUnsafe(s7, ref c, v7);
        }

        return j;
    }

    /// <summary>The bytes of one row of B that a block of <see cref="SweepBlocks{T, TWidth, TVector}"/> reads: eight vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BlockBytes<T, TWidth, TVector>()
        where T : unmanaged
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct => 8 * TWidth.Count * Unsafe.SizeOf<T>();

    /// <summary>Single vectors' worth of columns of a <see cref="RowSweep{T}"/> from <paramref name="j"/>; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SweepVectors<T, TWidth, TVector>(in RowSweep<T> s, int j, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct
    {
        for (; j <= n - TWidth.Count; j += TWidth.Count)
        {
            ref T c = ref Unsafe.Add(ref s.C, j);
            TVector sum = s.FromZero ? TWidth.Zero : TWidth.LoadUnsafe(ref c, 0);
            ref T a = ref s.A;
            ref T b = ref Unsafe.Add(ref s.B, j);
            for (int p = 0; p < s.K; p++)
            {
                sum = TWidth.Add(sum, TWidth.Multiply(TWidth.LoadUnsafe(ref b, 0), TWidth.Create(a)));
                a = ref Unsafe.Add(ref a, s.Sa);
                b = ref Unsafe.Add(ref b, s.Ldb);
            }

            TWidth.StoreUnsafe(sum, ref c, 0);
        }

        return j;
    }
}

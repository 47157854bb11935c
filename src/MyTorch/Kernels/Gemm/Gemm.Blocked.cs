using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MyTorch.Kernels;

public static partial class Gemm
{
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
                    // Packing a row-major A is a transpose, dearer per element than the vector copies that pack B or a
                    // transposed A: weigh it three times as much, which favours splitting the rows of a forward pass's
                    // product, so that each thread packs only its own rows of A.
                    double aWeight = o.TransA ? 12.0 : 36.0;
                    double bCost = packedInAdvance ? 0 : 12.0 * cols;
                    double cost = (rows * cols) + (aWeight * rows * Math.Ceiling(cols / nc)) + bCost;
                    // A thread's packed B block stays in its L2 beside C's rows only while it is small: past 512 KB,
                    // charge the compute for the misses, so that a large product whose row split would give each
                    // thread a block too big for L2 splits its columns instead. The Vector512 path's blocks are sized
                    // for L2 by NC already.
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
        int mcMax = o.MC;
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
    /// rows of A where they lie (<see cref="Kernel12{T, TWidth, TVector}"/> with A's row stride); a strip with a partial tile, or short
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
                    Kernel12<T, V512<T>, Vector512<T>>(kc, o.A + ((nint)(ic + ir) * o.Lda) + pc, o.Lda, 1, packedB + ((nint)jr * kc), c + jr, o.Ldc, overwrite);
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
}

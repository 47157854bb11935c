using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MyTorch.Kernels;

public static partial class Gemm
{
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
                    if (o.Width >= 512 && nr == 2 * V512<T>.Count)
                    {
                        CopyStrips<T, V512<T>, Vector512<T>>(s, ldb, kc, d);
                    }
                    else if (o.Width >= 256 && nr == 2 * V256<T>.Count)
                    {
                        CopyStrips<T, V256<T>, Vector256<T>>(s, ldb, kc, d);
                    }
                    else if (o.Width >= 128 && nr == 4 * V128<T>.Count)
                    {
                        CopyStrips<T, V128<T>, Vector128<T>>(s, ldb, kc, d);
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            for (int j = 0; j < nr; j++)
                            {
                                d[j] = s[j];
                            }

                            d += nr;
                            s += ldb;
                        }
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
    /// Copies kc rows of one whole strip of a row-major B (rows <paramref name="ldb"/> apart) into the packed layout: a
    /// strip is two vectors wide (Vector512, Vector256) or four (Vector128), 128 or 64 bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyStrips<T, TWidth, TVector>(T* s, nint ldb, int kc, T* d)
        where T : unmanaged
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct
    {
        int v = TWidth.Count;
        bool four = v * Unsafe.SizeOf<T>() == 16;
        int nr = four ? 4 * v : 2 * v;
        for (int p = 0; p < kc; p++)
        {
            TWidth.Store(TWidth.Load(s), d);
            TWidth.Store(TWidth.Load(s + v), d + v);
            if (four)
            {
                TWidth.Store(TWidth.Load(s + (2 * v)), d + (2 * v));
                TWidth.Store(TWidth.Load(s + (3 * v)), d + (3 * v));
            }

            d += nr;
            s += ldb;
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
}

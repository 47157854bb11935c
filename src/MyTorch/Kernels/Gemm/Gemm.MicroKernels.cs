using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MyTorch.Kernels;

// Micro-kernels: C[0..MR, 0..NR] (=|+=) sum_p a[p*MR + i] * b[p*NR + j], over packed panels.
public static partial class Gemm
{
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
            Kernel12<T, V512<T>, Vector512<T>>(kc, a, 1, MR512, b, c, ldc, overwrite); // a packed micro-panel: 12 values per step
        }
        else if (width == 256)
        {
            Kernel6<T, V256<T>, Vector256<T>>(kc, a, b, c, ldc, overwrite);
        }
        else if (width == 128)
        {
            // The 64-byte tile is four Vector128 wide: two halves of 6 x 2 accumulators each.
            int half = 2 * V128<T>.Count;
            Kernel6<T, V128<T>, Vector128<T>>(kc, a, b, c, ldc, overwrite);
            Kernel6<T, V128<T>, Vector128<T>>(kc, a, b + half, c + half, ldc, overwrite);
        }
        else
        {
            KernelScalar(kc, a, b, c, ldc, overwrite, nr);
        }
    }

    /// <summary>
    /// The 6-row kernel of the Vector256 and Vector128 paths: two vectors of columns of a 64-byte B strip (all of it on
    /// Vector256, half on Vector128, whose tile takes two calls) in 12 accumulators, with 2 B loads and 6 broadcasts
    /// per step of k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel6<T, TWidth, TVector>(int kc, T* a, T* b, T* c, nint ldc, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct
    {
        int v = TWidth.Count;
        int nr = 64 / Unsafe.SizeOf<T>(); // the B strip's width on these paths
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;

        for (int p = 0; p < kc; p++)
        {
            TVector b0 = TWidth.Load(b);
            TVector b1 = TWidth.Load(b + v);
            TVector x = TWidth.Create(a[0]);
            c00 = TWidth.MultiplyAdd(x, b0, c00);
            c01 = TWidth.MultiplyAdd(x, b1, c01);
            x = TWidth.Create(a[1]);
            c10 = TWidth.MultiplyAdd(x, b0, c10);
            c11 = TWidth.MultiplyAdd(x, b1, c11);
            x = TWidth.Create(a[2]);
            c20 = TWidth.MultiplyAdd(x, b0, c20);
            c21 = TWidth.MultiplyAdd(x, b1, c21);
            x = TWidth.Create(a[3]);
            c30 = TWidth.MultiplyAdd(x, b0, c30);
            c31 = TWidth.MultiplyAdd(x, b1, c31);
            x = TWidth.Create(a[4]);
            c40 = TWidth.MultiplyAdd(x, b0, c40);
            c41 = TWidth.MultiplyAdd(x, b1, c41);
            x = TWidth.Create(a[5]);
            c50 = TWidth.MultiplyAdd(x, b0, c50);
            c51 = TWidth.MultiplyAdd(x, b1, c51);
            a += MR;
            b += nr;
        }

        StoreRow<T, TWidth, TVector>(c, c00, c01, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c10, c11, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c20, c21, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c30, c31, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c40, c41, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c50, c51, overwrite);
    }

    /// <summary>
    /// The 12-row kernel of the Vector512 path: 24 accumulators, 2 B loads and 12 broadcasts per step of k (twice the
    /// FMAs per load of the 6-row kernel, which the 16 registers of AVX2 cannot hold). Row r of A at step p is
    /// a[r * <paramref name="rowStride"/> + p * <paramref name="step"/>]: a packed micro-panel (1, 12), or 12 rows of a
    /// row-major A read where they lie (lda, 1); either way the same broadcasts and FMAs in the same order, so the same
    /// bits. C's tile is prefetched first, so its loads at the end do not stall on the cache misses of a C larger than L2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel12<T, TWidth, TVector>(int kc, T* a, nint rowStride, nint step, T* b, T* c, nint ldc, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct
    {
        int v = TWidth.Count;
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

        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        TVector c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;

        // Three row pointers and three row offsets address all 12 rows (base + offset * element size).
        T* r0 = a, r4 = a + (4 * rowStride), r8 = a + (8 * rowStride);
        nint l1 = rowStride, l2 = 2 * rowStride, l3 = 3 * rowStride;
        for (int p = 0; p < kc; p++)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(b + (8 * 2 * v)); // the B panel streams from L2: ask for it 8 steps ahead
            }

            TVector b0 = TWidth.Load(b);
            TVector b1 = TWidth.Load(b + v);
            TVector x = TWidth.Create(r0[0]);
            c00 = TWidth.MultiplyAdd(x, b0, c00);
            c01 = TWidth.MultiplyAdd(x, b1, c01);
            x = TWidth.Create(r0[l1]);
            c10 = TWidth.MultiplyAdd(x, b0, c10);
            c11 = TWidth.MultiplyAdd(x, b1, c11);
            x = TWidth.Create(r0[l2]);
            c20 = TWidth.MultiplyAdd(x, b0, c20);
            c21 = TWidth.MultiplyAdd(x, b1, c21);
            x = TWidth.Create(r0[l3]);
            c30 = TWidth.MultiplyAdd(x, b0, c30);
            c31 = TWidth.MultiplyAdd(x, b1, c31);
            x = TWidth.Create(r4[0]);
            c40 = TWidth.MultiplyAdd(x, b0, c40);
            c41 = TWidth.MultiplyAdd(x, b1, c41);
            x = TWidth.Create(r4[l1]);
            c50 = TWidth.MultiplyAdd(x, b0, c50);
            c51 = TWidth.MultiplyAdd(x, b1, c51);
            x = TWidth.Create(r4[l2]);
            c60 = TWidth.MultiplyAdd(x, b0, c60);
            c61 = TWidth.MultiplyAdd(x, b1, c61);
            x = TWidth.Create(r4[l3]);
            c70 = TWidth.MultiplyAdd(x, b0, c70);
            c71 = TWidth.MultiplyAdd(x, b1, c71);
            x = TWidth.Create(r8[0]);
            c80 = TWidth.MultiplyAdd(x, b0, c80);
            c81 = TWidth.MultiplyAdd(x, b1, c81);
            x = TWidth.Create(r8[l1]);
            c90 = TWidth.MultiplyAdd(x, b0, c90);
            c91 = TWidth.MultiplyAdd(x, b1, c91);
            x = TWidth.Create(r8[l2]);
            c100 = TWidth.MultiplyAdd(x, b0, c100);
            c101 = TWidth.MultiplyAdd(x, b1, c101);
            x = TWidth.Create(r8[l3]);
            c110 = TWidth.MultiplyAdd(x, b0, c110);
            c111 = TWidth.MultiplyAdd(x, b1, c111);
            r0 += step;
            r4 += step;
            r8 += step;
            b += 2 * v;
        }

        StoreRow<T, TWidth, TVector>(c, c00, c01, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c10, c11, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c20, c21, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c30, c31, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c40, c41, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c50, c51, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c60, c61, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c70, c71, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c80, c81, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c90, c91, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c100, c101, overwrite);
        StoreRow<T, TWidth, TVector>(c += ldc, c110, c111, overwrite);
    }

    /// <summary>Two vectors of one row of a tile into C: stored, or added to what C holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow<T, TWidth, TVector>(T* c, TVector x0, TVector x1, bool overwrite)
        where T : unmanaged
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct
    {
        if (overwrite)
        {
            TWidth.Store(x0, c);
            TWidth.Store(x1, c + TWidth.Count);
        }
        else
        {
            TWidth.Store(TWidth.Add(TWidth.Load(c), x0), c);
            TWidth.Store(TWidth.Add(TWidth.Load(c + TWidth.Count), x1), c + TWidth.Count);
        }
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
}

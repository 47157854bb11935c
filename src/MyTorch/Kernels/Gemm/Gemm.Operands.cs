using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MyTorch.Kernels;

public static partial class Gemm
{
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
            Blocking = Blocking.Current<T>();
            // Decided once, here, for every route and thread of this product.
            PackedB = packedB is not null && packedB.Fits(this) ? packedB : null;
        }

        /// <summary>This product's blocking, fixed for its whole run (the path's, when the product started).</summary>
        public Blocking Blocking { get; }

        /// <summary>Rows of a micro-tile on this product's path.</summary>
        public int MR => Blocking.MR;

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
        public int NC => Blocking.NC;

        /// <summary>Rows of C per packed A block on this product's path (a multiple of every path's MR).</summary>
        public int MC => Blocking.MC;

        /// <summary>The widest vectors this product uses (512, 256, 128, or 0 for scalar), fixed for its whole run.</summary>
        public int Width => Blocking.Width;

        /// <summary>Columns of a micro-tile on this product's path.</summary>
        public int NR => Blocking.NR;

        /// <summary>Depth of a k block on this product's path.</summary>
        public int KC => Blocking.KC;

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

        private readonly Blocking blocking;

        private PackedB(int k, int n, Blocking blocking, int kcMax, T[] buffer, int offset)
        {
            K = k;
            N = n;
            this.blocking = blocking;
            KcMax = kcMax;
            this.buffer = buffer;
            this.offset = offset;
        }

        /// <summary>Rows of B (the products' k).</summary>
        public int K { get; }

        /// <summary>Columns of B (the products' n).</summary>
        public int N { get; }

        /// <summary>The kernel path's vector width it was packed for (512, 256, 128, or 0 for scalar).</summary>
        public int Width => blocking.Width;

        private int NR => blocking.NR;

        private int KcMax { get; }

        private int NC => blocking.NC;

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
                var packed = new PackedB<T>(k, n, o.Blocking, kcMax, buffer, Scratch<T>.AlignedOffset(buffer));
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
            !o.TransB && o.K == K && o.N == N && o.Blocking == blocking && o.KcMax == KcMax;
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

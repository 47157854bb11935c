using System.Runtime.CompilerServices;

namespace MyTorch.Kernels;

public static partial class Gemm
{
    // The blocking sizes are constants per element type and kernel path. On the 256-bit and narrower paths
    // they are chosen for caches like an AMD EPYC's (L1d 32 KB, L2 512 KB): a B micro-panel (KC x NR) plus an A
    // micro-panel (MR x KC) fit in L1, an A block (MC x KC) in L2, and a B block (KC x NC) in L3. The Vector512 path
    // turns the inner loops round (see Macro): its A micro-panel (12 x KC, 18 KB) stays in L1 and its B block
    // (KC x NC, 768 KB) in L2, which lets KC be 384 floats, so C is read and written half as often.

    // Columns of a micro-tile (Operands.NR): 64 bytes (two Vector256, four Vector128, or the scalar kernel's 16 floats
    // / 8 doubles), or 128 bytes (two Vector512) on the Vector512 path. Rows (Operands.MR): 6, or 12 on the Vector512
    // path. Depth of a k block (Operands.KC): 256, or 1536 bytes' worth on the Vector512 path; it depends only on the
    // machine and the kernel path, never on the thread split. All follow KernelOptions.Path as read once per product,
    // as MicroKernel does: packing and kernel agree.

    /// <summary>
    /// The blocking of one kernel path, all in one place: the micro-tile (MR x NR), the k-block depth (KC) and the A and B
    /// cache blocks (MC rows, NC columns). Packing, tiling, the micro-kernels and B packed in advance all read it from
    /// the product's <see cref="Operands{T}"/>, so they agree.
    /// </summary>
    /// <param name="Width">The widest vectors the path uses: 512, 256, 128, or 0 for scalar.</param>
    /// <param name="MR">Rows of a micro-tile (and of a packed A strip).</param>
    /// <param name="NR">Columns of a micro-tile (and of a packed B strip).</param>
    /// <param name="KC">The most rows of B (columns of A) per k block.</param>
    /// <param name="MC">Rows of C per packed A block, a multiple of both MRs: about 110-150 KB of A, well inside L2 (220 KB with the Vector512 path's deeper k blocks).</param>
    /// <param name="NC">Columns of C per packed B block, a multiple of NR.</param>
    internal readonly record struct Blocking(int Width, int MR, int NR, int KC, int MC, int NC)
    {
        /// <summary>The blocking of the path with vectors of <paramref name="width"/> bits (0: scalar), for elements of <typeparamref name="T"/>.</summary>
        public static Blocking ForWidth<T>(int width)
            where T : unmanaged
        {
            int size = Unsafe.SizeOf<T>();
            int mc = size == 4 ? 144 : 72;
            return width == 512
                ? new(512, MR512, 128 / size, 1536 / size, mc, 512)
                : new(width, Gemm.MR, 64 / size, 256, mc, size == 4 ? 4096 : 2048);
        }

        /// <summary>The blocking of the path <see cref="KernelOptions.Path"/> selects now.</summary>
        public static Blocking Current<T>()
            where T : unmanaged =>
            ForWidth<T>(KernelOptions.UseVector512 ? 512 : KernelOptions.UseVector256 ? 256 : KernelOptions.UseVector128 ? 128 : 0);
    }
}

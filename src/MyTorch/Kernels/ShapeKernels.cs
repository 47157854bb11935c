using System.Numerics;

namespace MyTorch.Kernels;

/// <summary>Copies the left operand, broadcasting it: the kernel behind BroadcastTo.</summary>
internal readonly struct CopyKernel : IBinaryKernel<CopyKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x;
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => x.CopyTo(d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => x.CopyTo(d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => d.Fill(x);
}

/// <summary>Data movement kernels.</summary>
internal static class ShapeKernels
{
    /// <summary>
    /// destination = zeros with source's slices added at the positions <paramref name="index"/> names along the middle
    /// dimension (outer, size, inner): IndexSelect's backward. Repeated indices add up in order.
    /// </summary>
    public static void IndexAdd<T>(ReadOnlySpan<T> source, int[] index, Span<T> destination, int outer, int inner, int size)
        where T : unmanaged, INumber<T>
    {
        destination.Clear();
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < index.Length; j++)
            {
                var from = source.Slice((o * index.Length + j) * inner, inner);
                var to = destination.Slice((o * size + index[j]) * inner, inner);
                for (int i = 0; i < inner; i++) to[i] += from[i];
            }
        }
    }

    /// <summary>destination[i0, i1, ...] = source[i at dims]: output dimension k is source dimension dims[k].</summary>
    public static void Permute<T>(ReadOnlySpan<T> source, int[] shape, int[] dims, Span<T> destination)
    {
        int rank = shape.Length;
        if (destination.IsEmpty) return;
        if (rank == 2 && dims[0] == 1)
        {
            Transpose2D(source, shape[0], shape[1], destination);
            return;
        }
        // On the stack: a replayed step allocates nothing.
        Span<int> sourceStrides = stackalloc int[rank];
        for (int d = rank - 1, stride = 1; d >= 0; d--) { sourceStrides[d] = stride; stride *= shape[d]; }
        Span<int> outShape = stackalloc int[rank];
        Span<int> strides = stackalloc int[rank];
        for (int k = 0; k < rank; k++) { outShape[k] = shape[dims[k]]; strides[k] = sourceStrides[dims[k]]; }
        Span<int> counter = stackalloc int[rank];
        counter.Clear();
        int offset = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = source[offset];
            for (int k = rank - 1; k >= 0; k--)
            {
                offset += strides[k];
                if (++counter[k] < outShape[k]) break;
                offset -= strides[k] * outShape[k];
                counter[k] = 0;
            }
        }
    }

    /// <summary>A cache-blocked matrix transpose: (rows, columns) to (columns, rows).</summary>
    private static void Transpose2D<T>(ReadOnlySpan<T> source, int rows, int columns, Span<T> destination)
    {
        const int Block = 32;
        for (int r0 = 0; r0 < rows; r0 += Block)
        {
            int r1 = Math.Min(r0 + Block, rows);
            for (int c0 = 0; c0 < columns; c0 += Block)
            {
                int c1 = Math.Min(c0 + Block, columns);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        destination[c * rows + r] = source[r * columns + c];
            }
        }
    }
}

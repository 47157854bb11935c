using System.Numerics;
using System.Numerics.Tensors;

namespace MyTorch.Kernels;

/// <summary>
/// Reductions over one dimension of a contiguous tensor viewed as (outer, length, inner): the reduced
/// dimension has <c>length</c> elements spaced <c>inner</c> apart.
/// </summary>
internal static class ReductionKernels
{
    public static void Sum<T>(ReadOnlySpan<T> source, int outer, int length, int inner, Span<T> destination)
        where T : unmanaged, INumber<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
                destination[o] = TensorPrimitives.Sum(source.Slice(o * length, length));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var row = destination.Slice(o * inner, inner);
            row.Clear();
            var block = source.Slice(o * length * inner, length * inner);
            for (int j = 0; j < length; j++)
                TensorPrimitives.Add(row, block.Slice(j * inner, inner), row);
        }
    }

    /// <summary>Index along the dimension of the largest (or smallest) element; the first one on ties; NaN counts as the extreme.</summary>
    public static void ArgExtreme<T>(ReadOnlySpan<T> source, int outer, int length, int inner, Span<long> indices, bool largest)
        where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = o * length * inner + i;
                T best = source[baseIndex];
                int bestIndex = 0;
                if (!T.IsNaN(best))
                {
                    for (int j = 1; j < length; j++)
                    {
                        T value = source[baseIndex + j * inner];
                        if (T.IsNaN(value)) { bestIndex = j; break; }
                        if (largest ? value > best : value < best) { best = value; bestIndex = j; }
                    }
                }
                indices[o * inner + i] = bestIndex;
            }
        }
    }

    /// <summary>Gathers source[o, indices[o, i], i] into destination[o, i].</summary>
    public static void Gather<T>(ReadOnlySpan<T> source, int outer, int length, int inner, ReadOnlySpan<long> indices, Span<T> destination)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                destination[o * inner + i] = source[(o * length + (int)indices[o * inner + i]) * inner + i];
    }

    /// <summary>A mask of the source's shape with one at each gathered position and zero elsewhere.</summary>
    public static void OneHotMask<T>(Span<T> mask, int outer, int length, int inner, ReadOnlySpan<long> indices)
        where T : unmanaged, INumber<T>
    {
        mask.Clear();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                mask[(o * length + (int)indices[o * inner + i]) * inner + i] = T.One;
    }
}

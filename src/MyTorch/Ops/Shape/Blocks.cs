namespace MyTorch;

// The (outer, length, inner) view of a dimension that the shape, indexing and reduction kernels share.
public sealed partial class Tensor
{
    /// <summary>The number of elements before dimension <paramref name="d"/> and after it, for (outer, length, inner) views.</summary>
    internal (int Outer, int Inner) OuterInner(int d)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= shape[i];
        return (outer, inner);
    }

    /// <summary>Copies <paramref name="outer"/> blocks of <paramref name="block"/> elements between strided positions (any dtype).</summary>
    private static void CopyBlocks(Tensor source, int outer, int sourceStride, int sourceOffset, Tensor destination, int destinationStride,
        int destinationOffset, int block)
    {
        var from = source.Values;
        var to = destination.Values;
        for (int o = 0; o < outer; o++)
            System.Array.Copy(from, o * sourceStride + sourceOffset, to, o * destinationStride + destinationOffset, block);
    }
}

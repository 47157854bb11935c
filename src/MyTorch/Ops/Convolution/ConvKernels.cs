using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Kernels;

namespace MyTorch.Ops;

/// <summary>
/// The convolution kernels: im2col per image and group into a column buffer, then one GEMM per image and group for the
/// output (W_g @ col), the input gradient (W_gᵀ @ g, then col2im) and the weight gradient (g @ colᵀ, summed over images in
/// order, so the bits do not depend on threads). A 1x1 stride-1 unpadded kernel multiplies the input planes in place.
/// <see cref="Reference{T}"/> is the plain direct convolution that tests check these against.
/// </summary>
internal static class ConvKernels
{
    /// <summary>Images of one call at or above which the images are split over the kernel threads.</summary>
    internal const long ParallelWork = 1L << 20;

    /// <summary>The weight gradient's images are summed in at most this many fixed chunks, whatever the thread count, so its bits depend on the batch alone.</summary>
    internal const int WeightChunks = 8;

    /// <summary>The elements of one column buffer (none for a pointwise kernel).</summary>
    public static int ColumnElements(in ConvGeometry g) => g.IsPointwise ? 0 : g.Patch * g.OH * g.OW;

    /// <summary>
    /// How many image ranges the forward and input gradient split a call into (one column buffer each): one per thread
    /// for a batch with enough work, else one. Fixed when the op is made, so a replay splits as its recording did.
    /// </summary>
    public static int Slices(in ConvGeometry g)
    {
        long work = (long)g.N * g.OC * g.OH * g.OW * g.Patch;
        return work < ParallelWork ? 1 : Math.Max(1, Math.Min(g.N, KernelOptions.MaxThreads));
    }

    /// <summary>The number of chunks the weight gradient sums its images in.</summary>
    public static int Chunks(in ConvGeometry g) => Math.Max(1, Math.Min(g.N, WeightChunks));

    /// <summary>y = conv2d(x, w) + b for the images [<paramref name="first"/>, <paramref name="end"/>); <paramref name="col"/> holds one column buffer.</summary>
    public static void Forward<T>(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, Span<T> col, int first, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = g.GroupChannels, ocg = g.GroupOutputs, patch = g.Patch, hw = g.OH * g.OW, plane = g.H * g.W;
        bool hasBias = !bias.IsEmpty;
        for (int n = first; n < end; n++)
        {
            for (int group = 0; group < g.Groups; group++)
            {
                var image = x.Slice((n * g.C + group * cg) * plane, cg * plane);
                var output = y.Slice((n * g.OC + group * ocg) * hw, ocg * hw);
                ReadOnlySpan<T> columns = image;
                if (!g.IsPointwise)
                {
                    Im2Col(g, image, col);
                    columns = col;
                }
                if (hasBias)
                    for (int o = 0; o < ocg; o++) output.Slice(o * hw, hw).Fill(bias[group * ocg + o]);
                Gemm.Multiply(false, false, ocg, hw, patch, w.Slice(group * ocg * patch, ocg * patch), patch, columns, hw, output, hw, accumulate: hasBias);
            }
        }
    }

    /// <summary>All images of <see cref="Forward{T}(in ConvGeometry, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, int, int)"/> on the calling thread.</summary>
    public static void Forward<T>(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, Span<T> col)
        where T : unmanaged, IFloatingPointIeee754<T> => Forward(g, x, w, bias, y, col, 0, g.N);

    /// <summary>dx = the gradient of conv2d(x, w) with respect to x for the output gradient <paramref name="gy"/>, images [first, end).</summary>
    public static void InputGrad<T>(in ConvGeometry g, ReadOnlySpan<T> gy, ReadOnlySpan<T> w, Span<T> dx, Span<T> col, int first, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = g.GroupChannels, ocg = g.GroupOutputs, patch = g.Patch, hw = g.OH * g.OW, plane = g.H * g.W;
        for (int n = first; n < end; n++)
        {
            for (int group = 0; group < g.Groups; group++)
            {
                var image = dx.Slice((n * g.C + group * cg) * plane, cg * plane);
                var grad = gy.Slice((n * g.OC + group * ocg) * hw, ocg * hw);
                var weights = w.Slice(group * ocg * patch, ocg * patch);
                if (g.IsPointwise)
                {
                    Gemm.Multiply(true, false, patch, hw, ocg, weights, patch, grad, hw, image, hw);
                    continue;
                }
                Gemm.Multiply(true, false, patch, hw, ocg, weights, patch, grad, hw, col, hw);
                Col2Im(g, col, image);
            }
        }
    }

    /// <summary>All images of the input gradient on the calling thread.</summary>
    public static void InputGrad<T>(in ConvGeometry g, ReadOnlySpan<T> gy, ReadOnlySpan<T> w, Span<T> dx, Span<T> col)
        where T : unmanaged, IFloatingPointIeee754<T> => InputGrad(g, gy, w, dx, col, 0, g.N);

    /// <summary>
    /// The weight gradient of the images [first, end) written into <paramref name="dw"/> (their contributions summed in
    /// image order; zeros for no images).
    /// </summary>
    public static void WeightGrad<T>(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> dw, Span<T> col, int first, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = g.GroupChannels, ocg = g.GroupOutputs, patch = g.Patch, hw = g.OH * g.OW, plane = g.H * g.W;
        if (end <= first) dw.Clear();
        for (int n = first; n < end; n++)
        {
            for (int group = 0; group < g.Groups; group++)
            {
                var image = x.Slice((n * g.C + group * cg) * plane, cg * plane);
                var grad = gy.Slice((n * g.OC + group * ocg) * hw, ocg * hw);
                ReadOnlySpan<T> columns = image;
                if (!g.IsPointwise)
                {
                    Im2Col(g, image, col);
                    columns = col;
                }
                Gemm.Multiply(false, true, ocg, patch, hw, grad, hw, columns, hw, dw.Slice(group * ocg * patch, ocg * patch), patch, accumulate: n > first);
            }
        }
    }

    /// <summary>
    /// dw for all images, summed as <see cref="ConvParallel{T}"/> sums them (the same chunks, in order), on the calling thread:
    /// <paramref name="partials"/> holds <see cref="Chunks"/> - 1 weight-sized buffers.
    /// </summary>
    public static void WeightGrad<T>(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> dw, Span<T> col, Span<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = Chunks(g);
        for (int c = 0; c < chunks; c++)
            WeightGrad(g, x, gy, c == 0 ? dw : partials.Slice((c - 1) * dw.Length, dw.Length), col, (int)((long)g.N * c / chunks), (int)((long)g.N * (c + 1) / chunks));
        SumChunks(dw, partials, chunks);
    }

    /// <summary>dw += each partial in chunk order.</summary>
    public static void SumChunks<T>(Span<T> dw, ReadOnlySpan<T> partials, int chunks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = 1; c < chunks; c++) TensorPrimitives.Add(dw, partials.Slice((c - 1) * dw.Length, dw.Length), dw);
    }

    /// <summary>db[o] = the sum of <paramref name="gy"/> over images and positions of output channel o.</summary>
    public static void BiasGrad<T>(int n, int channels, int positions, ReadOnlySpan<T> gy, Span<T> db)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        db.Clear();
        for (int i = 0; i < n; i++)
            for (int o = 0; o < channels; o++)
                db[o] += TensorPrimitives.Sum(gy.Slice((i * channels + o) * positions, positions));
    }

    /// <summary>The gradient of <see cref="BiasGrad{T}"/>: <paramref name="gb"/>[o] copied to every position of channel o.</summary>
    public static void BroadcastBias<T>(int n, int channels, int positions, ReadOnlySpan<T> gb, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n; i++)
            for (int o = 0; o < channels; o++)
                y.Slice((i * channels + o) * positions, positions).Fill(gb[o]);
    }

    /// <summary>
    /// The first output column whose input column ow * stride + offset is at or after 0, and the end of those before
    /// <paramref name="size"/>: the output columns that read real input, not padding.
    /// </summary>
    private static (int Low, int High) Inside(int offset, int stride, int size, int outputs)
    {
        int low = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int last = size - 1 - offset;
        int high = last < 0 ? 0 : Math.Min(outputs, last / stride + 1);
        return (Math.Min(low, high), high);
    }

    /// <summary>
    /// Copies one group's input planes into the column buffer, (C / groups * KH * KW) rows of OH * OW: row (c, i, j) holds
    /// x[c, oh * SH - padTop + i * DH, ow * SW - padLeft + j * DW] for every output position, zero where that is padding.
    /// </summary>
    internal static void Im2Col<T>(in ConvGeometry g, ReadOnlySpan<T> image, Span<T> col) where T : unmanaged, INumber<T>
    {
        int hw = g.OH * g.OW, plane = g.H * g.W;
        for (int c = 0; c < g.GroupChannels; c++)
        {
            var input = image.Slice(c * plane, plane);
            for (int i = 0; i < g.KH; i++)
            {
                for (int j = 0; j < g.KW; j++)
                {
                    var row = col.Slice(((c * g.KH + i) * g.KW + j) * hw, hw);
                    int offsetW = j * g.DW - g.PadLeft;
                    var (low, high) = Inside(offsetW, g.SW, g.W, g.OW);
                    for (int oh = 0; oh < g.OH; oh++)
                    {
                        var dst = row.Slice(oh * g.OW, g.OW);
                        int ih = oh * g.SH - g.PadTop + i * g.DH;
                        if ((uint)ih >= (uint)g.H)
                        {
                            dst.Clear();
                            continue;
                        }
                        var src = input.Slice(ih * g.W, g.W);
                        dst[..low].Clear();
                        dst[high..].Clear();
                        if (g.SW == 1) src.Slice(low + offsetW, high - low).CopyTo(dst[low..high]);
                        else
                            for (int ow = low; ow < high; ow++) dst[ow] = src[ow * g.SW + offsetW];
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: each column-buffer element added to the input element it was copied from (the image is overwritten).</summary>
    internal static void Col2Im<T>(in ConvGeometry g, ReadOnlySpan<T> col, Span<T> image) where T : unmanaged, INumber<T>
    {
        int hw = g.OH * g.OW, plane = g.H * g.W;
        image.Clear();
        for (int c = 0; c < g.GroupChannels; c++)
        {
            var input = image.Slice(c * plane, plane);
            for (int i = 0; i < g.KH; i++)
            {
                for (int j = 0; j < g.KW; j++)
                {
                    var row = col.Slice(((c * g.KH + i) * g.KW + j) * hw, hw);
                    int offsetW = j * g.DW - g.PadLeft;
                    var (low, high) = Inside(offsetW, g.SW, g.W, g.OW);
                    if (high <= low) continue;
                    for (int oh = 0; oh < g.OH; oh++)
                    {
                        int ih = oh * g.SH - g.PadTop + i * g.DH;
                        if ((uint)ih >= (uint)g.H) continue;
                        var dst = input.Slice(ih * g.W, g.W);
                        var src = row.Slice(oh * g.OW, g.OW);
                        if (g.SW == 1)
                        {
                            var target = dst.Slice(low + offsetW, high - low);
                            TensorPrimitives.Add(target, src[low..high], target);
                        }
                        else
                            for (int ow = low; ow < high; ow++) dst[ow * g.SW + offsetW] += src[ow];
                    }
                }
            }
        }
    }

    /// <summary>
    /// The direct convolution, one output element at a time with a running sum in the element type: slow and plain, the
    /// definition the fast kernels are tested against.
    /// </summary>
    public static void Reference<T>(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = g.GroupChannels, ocg = g.GroupOutputs;
        for (int n = 0; n < g.N; n++)
            for (int o = 0; o < g.OC; o++)
            {
                int group = o / ocg;
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        T sum = bias.IsEmpty ? T.Zero : bias[o];
                        for (int c = 0; c < cg; c++)
                            for (int i = 0; i < g.KH; i++)
                                for (int j = 0; j < g.KW; j++)
                                {
                                    int ih = oh * g.SH - g.PadTop + i * g.DH, iw = ow * g.SW - g.PadLeft + j * g.DW;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    sum += x[((n * g.C + group * cg + c) * g.H + ih) * g.W + iw] * w[((o * cg + c) * g.KH + i) * g.KW + j];
                                }
                        y[((n * g.OC + o) * g.OH + oh) * g.OW + ow] = sum;
                    }
            }
    }
}

using System.Numerics;

namespace MyTorch.Ops;

/// <summary>
/// The pooling kernels, one plane (image and channel) at a time: max pooling with the index of each window's maximum
/// (the first on ties, a NaN wins, as PyTorch's CPU kernel), its gradient scattered to those indices and that
/// scatter's adjoint (a gather), and average pooling (regular or adaptive windows) with its adjoint. Each works on the
/// planes [first, end), so <see cref="PoolParallel{T}"/> can split a call over the kernel threads.
/// </summary>
internal static class PoolKernels
{
    /// <summary>y = the maximum of each window, <paramref name="indices"/> = its position in the input plane (row * W + column).</summary>
    public static void MaxForward<T>(in PoolGeometry g, ReadOnlySpan<T> x, Span<T> y, Span<long> indices, int first, int end) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = g.Columns.In, dh = g.Rows.Dilation, dw = g.Columns.Dilation;
        for (int p = first; p < end; p++)
        {
            var input = x.Slice(p * g.InputPlane, g.InputPlane);
            var output = y.Slice(p * g.OutputPlane, g.OutputPlane);
            var index = indices.Slice(p * g.OutputPlane, g.OutputPlane);
            int o = 0;
            for (int oh = 0; oh < g.Rows.Out; oh++)
            {
                var (hs, he) = g.Rows.MaxWindow(oh);
                for (int ow = 0; ow < g.Columns.Out; ow++, o++)
                {
                    var (ws, we) = g.Columns.MaxWindow(ow);
                    T best = T.NegativeInfinity;
                    int bestIndex = hs * width + ws;
                    for (int ih = hs; ih < he; ih += dh)
                    {
                        var row = input.Slice(ih * width, width);
                        for (int iw = ws; iw < we; iw += dw)
                        {
                            T v = row[iw];
                            if (v > best || T.IsNaN(v))
                            {
                                best = v;
                                bestIndex = ih * width + iw;
                            }
                        }
                    }
                    output[o] = best;
                    index[o] = bestIndex;
                }
            }
        }
    }

    /// <summary>dx = each output gradient added at its window's chosen index, zero elsewhere.</summary>
    public static void Scatter<T>(in PoolGeometry g, ReadOnlySpan<T> gy, ReadOnlySpan<long> indices, Span<T> dx, int first, int end) where T : unmanaged, IFloatingPointIeee754<T>
    {
        dx.Slice(first * g.InputPlane, (end - first) * g.InputPlane).Clear();
        for (int p = first; p < end; p++)
        {
            var plane = dx.Slice(p * g.InputPlane, g.InputPlane);
            var grad = gy.Slice(p * g.OutputPlane, g.OutputPlane);
            var index = indices.Slice(p * g.OutputPlane, g.OutputPlane);
            for (int o = 0; o < grad.Length; o++) plane[(int)index[o]] += grad[o];
        }
    }

    /// <summary>y = the input plane's element at each output's chosen index: the adjoint of <see cref="Scatter{T}"/>.</summary>
    public static void Gather<T>(in PoolGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<long> indices, Span<T> y, int first, int end) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int p = first; p < end; p++)
        {
            var plane = x.Slice(p * g.InputPlane, g.InputPlane);
            var output = y.Slice(p * g.OutputPlane, g.OutputPlane);
            var index = indices.Slice(p * g.OutputPlane, g.OutputPlane);
            for (int o = 0; o < output.Length; o++) output[o] = plane[(int)index[o]];
        }
    }

    /// <summary>The number an average window's sum is divided by.</summary>
    private static int Divisor(in PoolGeometry g, (int Start, int End, int Padded) rows, (int Start, int End, int Padded) columns) =>
        g.CountIncludePad ? rows.Padded * columns.Padded : (rows.End - rows.Start) * (columns.End - columns.Start);

    /// <summary>y = the mean of each window (regular or adaptive).</summary>
    public static void AverageForward<T>(in PoolGeometry g, ReadOnlySpan<T> x, Span<T> y, int first, int end) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = g.Columns.In;
        for (int p = first; p < end; p++)
        {
            var input = x.Slice(p * g.InputPlane, g.InputPlane);
            var output = y.Slice(p * g.OutputPlane, g.OutputPlane);
            int o = 0;
            for (int oh = 0; oh < g.Rows.Out; oh++)
            {
                var rows = g.Rows.AverageWindow(oh);
                for (int ow = 0; ow < g.Columns.Out; ow++, o++)
                {
                    var columns = g.Columns.AverageWindow(ow);
                    T sum = T.Zero;
                    for (int ih = rows.Start; ih < rows.End; ih++)
                    {
                        var row = input.Slice(ih * width + columns.Start, columns.End - columns.Start);
                        for (int i = 0; i < row.Length; i++) sum += row[i];
                    }
                    output[o] = sum / T.CreateTruncating(Divisor(g, rows, columns));
                }
            }
        }
    }

    /// <summary>dx = each output gradient divided by its window's divisor and added over the window: the adjoint of <see cref="AverageForward{T}"/>.</summary>
    public static void AverageBackward<T>(in PoolGeometry g, ReadOnlySpan<T> gy, Span<T> dx, int first, int end) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = g.Columns.In;
        dx.Slice(first * g.InputPlane, (end - first) * g.InputPlane).Clear();
        for (int p = first; p < end; p++)
        {
            var plane = dx.Slice(p * g.InputPlane, g.InputPlane);
            var grad = gy.Slice(p * g.OutputPlane, g.OutputPlane);
            int o = 0;
            for (int oh = 0; oh < g.Rows.Out; oh++)
            {
                var rows = g.Rows.AverageWindow(oh);
                for (int ow = 0; ow < g.Columns.Out; ow++, o++)
                {
                    var columns = g.Columns.AverageWindow(ow);
                    T share = grad[o] / T.CreateTruncating(Divisor(g, rows, columns));
                    for (int ih = rows.Start; ih < rows.End; ih++)
                    {
                        var row = plane.Slice(ih * width + columns.Start, columns.End - columns.Start);
                        for (int i = 0; i < row.Length; i++) row[i] += share;
                    }
                }
            }
        }
    }
}

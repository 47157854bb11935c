using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MyTorch.Kernels;

/// <summary>
/// The passes a data set takes once per process, over tens of millions of elements: ubyte pixels to float32, the
/// finiteness check, statistics, standardization.
/// </summary>
/// <remarks>
/// They run at start-up, often one row per call (60,000 calls of 784 pixels for Fashion-MNIST). Tiered compilation
/// would run such calls as unoptimized code (each Vector operation a call) until the method had been hot for a
/// while, and TensorPrimitives' generic loops get no better, so each method here is compiled fully optimized on its
/// first call (AggressiveOptimization) and works on Vector&lt;T&gt; directly. Element-wise, each element gets the
/// same IEEE operations, in the same order, as the op-by-op way, whatever the vector width; only the float64 sums of
/// <see cref="Moments{T}"/> depend on the lane count (as TensorPrimitives.Sum's do, which depend on alignment too).
/// </remarks>
internal static class DataKernels
{
    /// <summary>destination[i] = source[i], ubyte to float32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WidenToSingle(ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (destination.Length != source.Length) ThrowLengths(source.Length, destination.Length);
        ref byte from = ref MemoryMarshal.GetReference(source);
        ref float to = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<byte>.Count, quarter = Vector<float>.Count;
            for (; i <= source.Length - width; i += width)
            {
                Vector.Widen(Vector.LoadUnsafe(ref from, (nuint)i), out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(high, out Vector<uint> c, out Vector<uint> d);
                // Values below 256: the signed conversion (one instruction, unlike the unsigned one) is exact.
                Vector.ConvertToSingle(Vector.AsVectorInt32(a)).StoreUnsafe(ref to, (nuint)i);
                Vector.ConvertToSingle(Vector.AsVectorInt32(b)).StoreUnsafe(ref to, (nuint)(i + quarter));
                Vector.ConvertToSingle(Vector.AsVectorInt32(c)).StoreUnsafe(ref to, (nuint)(i + 2 * quarter));
                Vector.ConvertToSingle(Vector.AsVectorInt32(d)).StoreUnsafe(ref to, (nuint)(i + 3 * quarter));
            }
        }
        for (; i < source.Length; i++) Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i);
    }

    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or -1 when all are finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int IndexOfNonFinite<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T first = ref MemoryMarshal.GetReference(values);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<T>.Count;
            for (; i <= values.Length - 4 * width; i += 4 * width)
            {
                var a = Vector.LoadUnsafe(ref first, (nuint)i);
                var b = Vector.LoadUnsafe(ref first, (nuint)(i + width));
                var c = Vector.LoadUnsafe(ref first, (nuint)(i + 2 * width));
                var d = Vector.LoadUnsafe(ref first, (nuint)(i + 3 * width));
                // x - x is 0 for every finite x and NaN for an infinity or NaN, and a NaN survives the sum; the
                // element scan below then finds which one it was.
                if (!Vector.EqualsAll((a - a) + (b - b) + (c - c) + (d - d), Vector<T>.Zero)) break;
            }
        }
        for (; i < values.Length; i++)
            if (!T.IsFinite(Unsafe.Add(ref first, i))) return i;
        return -1;
    }

    /// <summary>destination[i] = x[i] / divisor; <paramref name="destination"/> may be <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Divide<T>(ReadOnlySpan<T> x, T divisor, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.Length != x.Length) ThrowLengths(x.Length, destination.Length);
        ref T from = ref MemoryMarshal.GetReference(x);
        ref T to = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var d = new Vector<T>(divisor);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
                (Vector.LoadUnsafe(ref from, (nuint)i) / d).StoreUnsafe(ref to, (nuint)i);
        }
        for (; i < x.Length; i++) Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i) / divisor;
    }

    /// <summary>
    /// destination = (x - mean) / std, rounded after the subtraction and after the division as the two broadcasting
    /// ops round. <paramref name="mean"/> and <paramref name="std"/> have one value, or one per feature, in which case
    /// <paramref name="x"/> is whole rows of that many features. <paramref name="destination"/> may be <paramref name="x"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Standardize<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> std, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.Length != x.Length) ThrowLengths(x.Length, destination.Length);
        if (mean.Length != std.Length || (mean.Length == 0 ? x.Length != 0 : x.Length % mean.Length != 0))
            throw new ArgumentException($"Standardize: {x.Length} values do not make rows of {mean.Length} features with {std.Length} scales.");
        ref T from = ref MemoryMarshal.GetReference(x);
        ref T to = ref MemoryMarshal.GetReference(destination);
        int width = Vector<T>.Count;
        bool vectors = Vector.IsHardwareAccelerated;
        if (mean.Length == 1)
        {
            T m = mean[0], s = std[0];
            int i = 0;
            if (vectors)
            {
                Vector<T> mv = new(m), sv = new(s);
                for (; i <= x.Length - width; i += width)
                    ((Vector.LoadUnsafe(ref from, (nuint)i) - mv) / sv).StoreUnsafe(ref to, (nuint)i);
            }
            for (; i < x.Length; i++) Unsafe.Add(ref to, i) = (Unsafe.Add(ref from, i) - m) / s;
            return;
        }
        ref T meanFirst = ref MemoryMarshal.GetReference(mean);
        ref T stdFirst = ref MemoryMarshal.GetReference(std);
        int features = mean.Length;
        for (int start = 0; start < x.Length; start += features)
        {
            ref T row = ref Unsafe.Add(ref from, start);
            ref T result = ref Unsafe.Add(ref to, start);
            int j = 0;
            if (vectors)
            {
                for (; j <= features - width; j += width)
                    ((Vector.LoadUnsafe(ref row, (nuint)j) - Vector.LoadUnsafe(ref meanFirst, (nuint)j)) / Vector.LoadUnsafe(ref stdFirst, (nuint)j))
                        .StoreUnsafe(ref result, (nuint)j);
            }
            for (; j < features; j++) Unsafe.Add(ref result, j) = (Unsafe.Add(ref row, j) - Unsafe.Add(ref meanFirst, j)) / Unsafe.Add(ref stdFirst, j);
        }
    }

    /// <summary>Elements per block of <see cref="Moments{T}"/>: a quarter or half megabyte, in cache while a block is summed.</summary>
    public const int MomentBlock = 1 << 16;

    /// <summary>
    /// Over all of <paramref name="values"/> (at least one): the float64 sum, the smallest and largest value (on a tie
    /// the first, so -0 and 0 come out as they occur first) and the sum of squared deviations from sum / length. Each
    /// block of <see cref="MomentBlock"/> elements is summed on its own (one accumulator per vector lane) and the block
    /// sums are added in order, so the result is the same whichever of up to <paramref name="threads"/> threads
    /// summed which block. A NaN or infinity makes the sum NaN or infinite.
    /// </summary>
    public static (double Sum, double Min, double Max, double Squares) Moments<T>(T[] values, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = values.Length;
        int blocks = (length + MomentBlock - 1) / MomentBlock;
        var sums = new double[blocks];
        var mins = new T[blocks];
        var maxs = new T[blocks];
        ForEachBlock(blocks, threads, b =>
        {
            var block = values.AsSpan(b * MomentBlock, Math.Min(MomentBlock, length - b * MomentBlock));
            (sums[b], mins[b], maxs[b]) = SumMinMax<T>(block);
        });
        double sum = 0;
        T min = mins[0], max = maxs[0];
        for (int b = 0; b < blocks; b++)
        {
            sum += sums[b];
            if (mins[b] < min) min = mins[b];
            if (maxs[b] > max) max = maxs[b];
        }
        // Lanes lose the order of equal values, and only -0 and 0 are equal but different: take the first of them.
        if (T.IsZero(min)) min = values[Array.FindIndex(values, T.IsZero)];
        if (T.IsZero(max)) max = values[Array.FindIndex(values, T.IsZero)];

        double mean = sum / length;
        ForEachBlock(blocks, threads, b =>
            sums[b] = SquaredDeviations<T>(values.AsSpan(b * MomentBlock, Math.Min(MomentBlock, length - b * MomentBlock)), mean));
        double squares = 0;
        for (int b = 0; b < blocks; b++) squares += sums[b];
        return (sum, double.CreateTruncating(min), double.CreateTruncating(max), squares);
    }

    private static void ForEachBlock(int blocks, int threads, Action<int> body)
    {
        if (threads <= 1 || blocks < 8)
        {
            for (int b = 0; b < blocks; b++) body(b);
            return;
        }
        WorkerPool.Run(new Blocks(body), blocks, threads);
    }

    /// <summary>The blocks of one pass of <see cref="Moments{T}"/>, for the kernels' worker threads.</summary>
    private sealed class Blocks(Action<int> body) : ParallelWork
    {
        public override void Execute(int index) => body(index);
    }

    /// <summary>The float64 sum of one block (one accumulator per lane, then the lanes in order, then the tail), and its extremes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Sum, T Min, T Max) SumMinMax<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = values.Length;
        int width = Vector<T>.Count;
        int vectorEnd = Vector.IsHardwareAccelerated && length >= width ? length - length % width : 0;
        ref T first = ref MemoryMarshal.GetReference(values);
        T min = first, max = first;
        double sum = 0;
        if (vectorEnd > 0)
        {
            var low = Vector.LoadUnsafe(ref first);
            var high = low;
            var sumA = Vector<double>.Zero;
            var sumB = Vector<double>.Zero;
            for (int i = 0; i < vectorEnd; i += width)
            {
                var v = Vector.LoadUnsafe(ref first, (nuint)i);
                low = Vector.ConditionalSelect(Vector.LessThan(v, low), v, low);
                high = Vector.ConditionalSelect(Vector.GreaterThan(v, high), v, high);
                var (a, b) = ToDouble(v);
                sumA += a;
                sumB += b;
            }
            for (int lane = 0; lane < width; lane++)
            {
                if (low[lane] < min) min = low[lane];
                if (high[lane] > max) max = high[lane];
            }
            sum = Vector.Sum(sumA + sumB);
        }
        for (int i = vectorEnd; i < length; i++)
        {
            T value = Unsafe.Add(ref first, i);
            sum += double.CreateTruncating(value);
            if (value < min) min = value;
            if (value > max) max = value;
        }
        return (sum, min, max);
    }

    /// <summary>The sum of (x - mean)² over one block, accumulated like <see cref="SumMinMax{T}"/>'s sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SquaredDeviations<T>(ReadOnlySpan<T> values, double mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = values.Length;
        int width = Vector<T>.Count;
        int vectorEnd = Vector.IsHardwareAccelerated && length >= width ? length - length % width : 0;
        ref T first = ref MemoryMarshal.GetReference(values);
        double squares = 0;
        if (vectorEnd > 0)
        {
            var meanVector = new Vector<double>(mean);
            var squaresA = Vector<double>.Zero;
            var squaresB = Vector<double>.Zero;
            for (int i = 0; i < vectorEnd; i += width)
            {
                var (a, b) = ToDouble(Vector.LoadUnsafe(ref first, (nuint)i));
                a -= meanVector;
                squaresA += a * a;
                if (typeof(T) == typeof(float))
                {
                    // For float64 the high half is padding, not data.
                    b -= meanVector;
                    squaresB += b * b;
                }
            }
            squares = Vector.Sum(squaresA + squaresB);
        }
        for (int i = vectorEnd; i < length; i++)
        {
            double d = double.CreateTruncating(Unsafe.Add(ref first, i)) - mean;
            squares += d * d;
        }
        return squares;
    }

    /// <summary>
    /// Per column of <paramref name="values"/> viewed as rows of <paramref name="sum"/>.Length columns (at least one
    /// row, all finite): sums, extremes and sums of squared deviations from sum / rows, each accumulated row after row
    /// in float64 exactly as the reductions over dimension 0 accumulate them (a column's extreme is its first
    /// occurrence on a tie, as ArgMin and ArgMax pick it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ColumnMoments<T>(ReadOnlySpan<T> values, Span<double> sum, Span<double> min, Span<double> max, Span<double> squares)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int columns = sum.Length;
        int rows = values.Length / columns;
        var row = new double[columns];
        ToDouble(values[..columns], row);
        row.CopyTo(min);
        row.CopyTo(max);
        sum.Clear();
        squares.Clear();
        for (int r = 0; r < rows; r++)
        {
            if (r > 0) ToDouble(values.Slice(r * columns, columns), row);
            AccumulateRow(row, sum, min, max);
        }
        var mean = new double[columns];
        for (int c = 0; c < columns; c++) mean[c] = sum[c] / rows;
        for (int r = 0; r < rows; r++)
        {
            ToDouble(values.Slice(r * columns, columns), row);
            AccumulateSquaredDeviations(row, mean, squares);
        }
    }

    /// <summary>sum += row; min and max move to row's values strictly beyond them, so ties keep the earlier value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateRow(ReadOnlySpan<double> row, Span<double> sum, Span<double> min, Span<double> max)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= row.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var v = new Vector<double>(row[i..]);
                (new Vector<double>(sum[i..]) + v).CopyTo(sum[i..]);
                var low = new Vector<double>(min[i..]);
                var high = new Vector<double>(max[i..]);
                Vector.ConditionalSelect(Vector.LessThan(v, low), v, low).CopyTo(min[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(v, high), v, high).CopyTo(max[i..]);
            }
        }
        for (; i < row.Length; i++)
        {
            sum[i] += row[i];
            if (row[i] < min[i]) min[i] = row[i];
            if (row[i] > max[i]) max[i] = row[i];
        }
    }

    /// <summary>squares += (row - mean)², rounded after each of the three operations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateSquaredDeviations(ReadOnlySpan<double> row, ReadOnlySpan<double> mean, Span<double> squares)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= row.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var d = new Vector<double>(row[i..]) - new Vector<double>(mean[i..]);
                (new Vector<double>(squares[i..]) + d * d).CopyTo(squares[i..]);
            }
        }
        for (; i < row.Length; i++)
        {
            double d = row[i] - mean[i];
            squares[i] += d * d;
        }
    }

    /// <summary>float32 or float64 values as float64 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ToDouble<T>(ReadOnlySpan<T> source, Span<double> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
        {
            MemoryMarshal.Cast<T, double>(source).CopyTo(destination);
            return;
        }
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var (a, b) = ToDouble(new Vector<T>(source[i..]));
                a.CopyTo(destination[i..]);
                b.CopyTo(destination[(i + Vector<double>.Count)..]);
            }
        }
        for (; i < source.Length; i++) destination[i] = double.CreateTruncating(source[i]);
    }

    /// <summary>A vector of float32 as two of float64; a vector of float64 as itself and zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector<double> Low, Vector<double> High) ToDouble<T>(Vector<T> v) where T : unmanaged
    {
        if (typeof(T) == typeof(double)) return (v.As<T, double>(), Vector<double>.Zero);
        Vector.Widen(v.As<T, float>(), out var low, out var high);
        return (low, high);
    }

    private static void ThrowLengths(int source, int destination) =>
        throw new ArgumentException($"DataKernels: the destination holds {destination} elements, the source {source}.");
}

using System.Numerics;
using System.Numerics.Tensors;

namespace MyTorch.Kernels;

/// <summary>
/// An element-wise binary operation, written once for every element type. The span overloads default to
/// scalar loops over <see cref="Scalar"/>; ops that TensorPrimitives vectorizes override them.
/// </summary>
internal interface IBinaryKernel<TSelf> where TSelf : IBinaryKernel<TSelf>
{
    static abstract T Scalar<T>(T x, T y) where T : unmanaged, INumber<T>;

    static virtual void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = TSelf.Scalar(x[i], y[i]);
    }

    static virtual void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = TSelf.Scalar(x[i], y);
    }

    static virtual void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> destination) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = TSelf.Scalar(x, y[i]);
    }
}

internal readonly struct AddKernel : IBinaryKernel<AddKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x + y;
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(y, x, d);
}

internal readonly struct SubtractKernel : IBinaryKernel<SubtractKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x - y;
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(x, y, d);
}

internal readonly struct MultiplyKernel : IBinaryKernel<MultiplyKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x * y;
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(y, x, d);
}

internal readonly struct DivideKernel : IBinaryKernel<DivideKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x / y;
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(x, y, d);
}

/// <summary>Element-wise maximum; NaN wins, as in PyTorch's <c>maximum</c>.</summary>
internal readonly struct MaximumKernel : IBinaryKernel<MaximumKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => T.Max(x, y);
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(y, x, d);
}

/// <summary>Element-wise minimum; NaN wins, as in PyTorch's <c>minimum</c>.</summary>
internal readonly struct MinimumKernel : IBinaryKernel<MinimumKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => T.Min(x, y);
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Min(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Min(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Min(y, x, d);
}

internal readonly struct GreaterKernel : IBinaryKernel<GreaterKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x > y ? T.One : T.Zero;
}

internal readonly struct GreaterOrEqualKernel : IBinaryKernel<GreaterOrEqualKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x >= y ? T.One : T.Zero;
}

internal readonly struct LessKernel : IBinaryKernel<LessKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x < y ? T.One : T.Zero;
}

internal readonly struct LessOrEqualKernel : IBinaryKernel<LessOrEqualKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x <= y ? T.One : T.Zero;
}

internal readonly struct EqualKernel : IBinaryKernel<EqualKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x == y ? T.One : T.Zero;
}

internal readonly struct NotEqualKernel : IBinaryKernel<NotEqualKernel>
{
    public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x != y ? T.One : T.Zero;
}

/// <summary>
/// Runs a binary kernel over two tensors with NumPy broadcasting. Dimensions are collapsed first, so the
/// common cases (same shape, a scalar, a row vector against a matrix) reach the kernel as long spans.
/// </summary>
internal static class Broadcasting
{
    public static void Run<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<int> aShape, ReadOnlySpan<T> b, ReadOnlySpan<int> bShape,
        Span<T> destination, int[] outShape)
        where T : unmanaged, INumber<T>
        where TOp : IBinaryKernel<TOp>
    {
        if (destination.IsEmpty) return;
        if (a.Length == destination.Length && b.Length == destination.Length) { TOp.Apply(a, b, destination); return; }
        if (b.Length == 1 && a.Length == destination.Length) { TOp.Apply(a, b[0], destination); return; }
        if (a.Length == 1 && b.Length == destination.Length) { TOp.Apply(a[0], b, destination); return; }

        // Shapes of any rank, without allocating: a replayed step runs this on every broadcast.
        int outRank = outShape.Length;
        Span<int> aStrides = stackalloc int[outRank], bStrides = stackalloc int[outRank];
        Shapes.BroadcastStrides(aShape, outShape, aStrides);
        Shapes.BroadcastStrides(bShape, outShape, bStrides);
        Span<int> sizes = stackalloc int[outRank + 1], sa = stackalloc int[outRank + 1], sb = stackalloc int[outRank + 1];
        int rank = Collapse(outShape, aStrides, bStrides, sizes, sa, sb);

        int inner = sizes[rank - 1];
        int innerA = sa[rank - 1], innerB = sb[rank - 1];
        Span<int> counter = stackalloc int[rank];
        counter.Clear();
        int offsetA = 0, offsetB = 0;
        for (int start = 0; start < destination.Length; start += inner)
        {
            var d = destination.Slice(start, inner);
            if (innerA == 1 && innerB == 1) TOp.Apply(a.Slice(offsetA, inner), b.Slice(offsetB, inner), d);
            else if (innerA == 1) TOp.Apply(a.Slice(offsetA, inner), b[offsetB], d);
            else if (innerB == 1) TOp.Apply(a[offsetA], b.Slice(offsetB, inner), d);
            else d.Fill(TOp.Scalar(a[offsetA], b[offsetB]));

            // Advance the odometer over the outer dimensions.
            for (int dim = rank - 2; dim >= 0; dim--)
            {
                offsetA += sa[dim];
                offsetB += sb[dim];
                if (++counter[dim] < sizes[dim]) break;
                offsetA -= sa[dim] * sizes[dim];
                offsetB -= sb[dim] * sizes[dim];
                counter[dim] = 0;
            }
        }
    }

    /// <summary>Drops size-1 dimensions and merges neighbours that are contiguous in both operands; returns the rank left.</summary>
    private static int Collapse(ReadOnlySpan<int> shape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, Span<int> sizes,
        Span<int> sa, Span<int> sb)
    {
        int count = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            if (count > 0 && sa[count - 1] == aStrides[i] * shape[i] && sb[count - 1] == bStrides[i] * shape[i])
            {
                sizes[count - 1] *= shape[i];
                sa[count - 1] = aStrides[i];
                sb[count - 1] = bStrides[i];
            }
            else
            {
                sizes[count] = shape[i];
                sa[count] = aStrides[i];
                sb[count] = bStrides[i];
                count++;
            }
        }
        if (count == 0) { sizes[0] = 1; sa[0] = 0; sb[0] = 0; count = 1; }
        return count;
    }
}

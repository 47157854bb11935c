using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace MyTorch;

/// <summary>Shape arithmetic shared by the ops: element counts, broadcasting, dimension wrapping, and the errors for each.</summary>
internal static class Shapes
{
    public static string Format(ReadOnlySpan<int> shape)
    {
        if (shape.Length == 1) return "(" + shape[0].ToString(CultureInfo.InvariantCulture) + ",)";
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++) parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        return "(" + string.Join(", ", parts) + ")";
    }

    /// <summary>The number of elements, checked for overflow and negative sizes.</summary>
    public static int Count(ReadOnlySpan<int> shape, string op = "tensor")
    {
        long count = 1;
        foreach (int size in shape)
        {
            if (size < 0) ThrowNegativeSize(op, shape);
            count *= size;
            if (count > Array.MaxLength) ThrowTooLarge(op, shape);
        }
        return (int)count;
    }

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>
    /// Normalizes a possibly negative dimension index (-1 is the last) and checks its range. A 0-d tensor counts as
    /// having one dimension (0 or -1), as in PyTorch.
    /// </summary>
    public static int WrapDim(int dim, int rank, string op)
    {
        int dims = Math.Max(rank, 1);
        int wrapped = dim < 0 ? dim + dims : dim;
        if (wrapped < 0 || wrapped >= dims) ThrowBadDim(op, dim, rank);
        return wrapped;
    }

    /// <summary>The NumPy broadcast of two shapes: aligned from the right, each pair equal or one of them 1.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1) ThrowBroadcast(op, a, b);
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Row-major strides of <paramref name="shape"/> aligned to <paramref name="outShape"/>, 0 where broadcast.</summary>
    public static void BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> outShape, Span<int> strides)
    {
        int rank = outShape.Length;
        int stride = 1;
        for (int i = rank - 1, j = shape.Length - 1; i >= 0; i--, j--)
        {
            int size = j >= 0 ? shape[j] : 1;
            strides[i] = size == 1 ? 0 : stride;
            stride *= size;
        }
    }

    [DoesNotReturn]
    public static void ThrowBroadcast(string op, ReadOnlySpan<int> a, ReadOnlySpan<int> b) =>
        throw new TensorShapeException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together " +
            "(aligned from the right, each pair of sizes must be equal or one of them 1).");

    [DoesNotReturn]
    public static void ThrowBadDim(string op, int dim, int rank) =>
        throw new TensorShapeException($"{op}: dimension {dim} is out of range for a tensor of {rank} dimension(s) " +
            $"(expected {-Math.Max(rank, 1)} to {Math.Max(rank, 1) - 1}).", nameof(dim));

    [DoesNotReturn]
    private static void ThrowNegativeSize(string op, ReadOnlySpan<int> shape) =>
        throw new TensorShapeException($"{op}: shape {Format(shape)} has a negative size.", nameof(shape));

    [DoesNotReturn]
    private static void ThrowTooLarge(string op, ReadOnlySpan<int> shape) =>
        throw new TensorShapeException(
            $"{op}: shape {Format(shape)} has more elements than one array can hold ({Array.MaxLength}); use smaller batches or layers.", nameof(shape));
}

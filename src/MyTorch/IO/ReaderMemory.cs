using System.Globalization;

namespace MyTorch.IO;

/// <summary>
/// Allocates a reader's destination. A file whose header is consistent may still describe more data than the process
/// can hold (under a heap limit, or on a small machine); that is reported as an error naming the file and the size,
/// never as an <see cref="OutOfMemoryException"/>.
/// </summary>
internal static class ReaderMemory
{
    /// <summary>An uninitialized tensor for data read from <paramref name="path"/>.</summary>
    /// <exception cref="DataFormatException">The memory could not be allocated.</exception>
    public static Tensor Empty(string path, int[] shape, DType dtype, string op)
    {
        try
        {
            return Tensor.Empty(shape, dtype, op);
        }
        catch (OutOfMemoryException e)
        {
            throw new DataFormatException(path, $"{op}: the data (shape {Shapes.Format(shape)} of {dtype.Name()}) is too large for the memory available",
                offset: null, expected: "data that fits in memory",
                found: string.Create(CultureInfo.InvariantCulture, $"{shape.Aggregate(1.0, (a, b) => a * b) * dtype.ElementSize():N0} bytes"),
                innerException: e);
        }
    }

    /// <summary>
    /// Runs a reader's body, turning an allocation failure anywhere in it (the data a consistent file describes, which
    /// a heap limit or a small machine cannot hold) into the error naming the file.
    /// </summary>
    /// <exception cref="DataFormatException">The memory could not be allocated.</exception>
    public static T Guard<T>(string path, string op, Func<T> body)
    {
        try
        {
            return body();
        }
        catch (OutOfMemoryException e)
        {
            throw new DataFormatException(path, $"{op}: the file's data is too large for the memory available", offset: null,
                expected: "data that fits in memory", found: string.Create(CultureInfo.InvariantCulture, $"a {FileLength(path):N0}-byte file"), innerException: e);
        }
    }

    private static long FileLength(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>A new array for <paramref name="path"/>'s data, with the same promise as <see cref="Empty"/>.</summary>
    /// <exception cref="DataFormatException">The memory could not be allocated.</exception>
    public static T[] Array<T>(string path, long length, string op)
    {
        try
        {
            return new T[length];
        }
        catch (OutOfMemoryException e)
        {
            throw new DataFormatException(path, $"{op}: the data is too large for the memory available",
                expected: "data that fits in memory", found: string.Create(CultureInfo.InvariantCulture, $"{length:N0} elements"), innerException: e);
        }
    }
}

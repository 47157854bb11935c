using System.Buffers.Binary;

namespace MyTorch.IO;

/// <summary>
/// The element types PyTorch files store (by their safetensors codes) and how MyTorch holds them: F32, F16 and BF16
/// as float32, F64 as float64, every integer type and BOOL as int64. Conversion copies through a stride, so a
/// non-contiguous view of a storage becomes a contiguous tensor with the same values.
/// </summary>
internal static class StorageDTypes
{
    /// <summary>The codes read, with their size in bytes and the MyTorch dtype they become.</summary>
    public static readonly IReadOnlyDictionary<string, (int Size, DType Target)> Codes = new Dictionary<string, (int, DType)>(StringComparer.Ordinal)
    {
        ["F32"] = (4, DType.Float32),
        ["F64"] = (8, DType.Float64),
        ["F16"] = (2, DType.Float32),
        ["BF16"] = (2, DType.Float32),
        ["I64"] = (8, DType.Int64),
        ["I32"] = (4, DType.Int64),
        ["I16"] = (2, DType.Int64),
        ["I8"] = (1, DType.Int64),
        ["U8"] = (1, DType.Int64),
        ["BOOL"] = (1, DType.Int64),
    };

    /// <summary>
    /// Copies the view (<paramref name="offset"/>, <paramref name="size"/>, <paramref name="stride"/>, in elements)
    /// of the little-endian <paramref name="storage"/> into <paramref name="target"/> (contiguous, of the code's target
    /// dtype). The caller has checked that every index of the view lies inside the storage.
    /// </summary>
    public static void CopyView(ReadOnlySpan<byte> storage, string code, long offset, long[] size, long[] stride, Tensor target)
    {
        int count = target.Count;
        if (count == 0) return;
        int elementSize = Codes[code].Size;
        var index = new long[size.Length];
        long position = offset;
        for (int i = 0; i < count; i++)
        {
            var bytes = storage.Slice(checked((int)(position * elementSize)), elementSize);
            switch (target.DType)
            {
                case DType.Float32: target.F32[i] = ReadSingle(bytes, code); break;
                case DType.Float64: target.F64[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes); break;
                default: target.I64[i] = ReadInteger(bytes, code); break;
            }
            // The next index in row-major order, moving the storage position by the strides.
            for (int d = size.Length - 1; d >= 0; d--)
            {
                index[d]++;
                position += stride[d];
                if (index[d] < size[d]) break;
                position -= stride[d] * index[d];
                index[d] = 0;
            }
        }
    }

    private static float ReadSingle(ReadOnlySpan<byte> bytes, string code) => code switch
    {
        "F32" => BinaryPrimitives.ReadSingleLittleEndian(bytes),
        "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes),
        // bfloat16 is the top half of a float32.
        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes) << 16),
    };

    private static long ReadInteger(ReadOnlySpan<byte> bytes, string code) => code switch
    {
        "I64" => BinaryPrimitives.ReadInt64LittleEndian(bytes),
        "I32" => BinaryPrimitives.ReadInt32LittleEndian(bytes),
        "I16" => BinaryPrimitives.ReadInt16LittleEndian(bytes),
        "I8" => (sbyte)bytes[0],
        "U8" => bytes[0],
        _ => bytes[0] != 0 ? 1 : 0,
    };

    /// <summary>The row-major strides of a contiguous tensor of <paramref name="shape"/>.</summary>
    public static long[] ContiguousStrides(IReadOnlyList<int> shape)
    {
        var strides = new long[shape.Count];
        long step = 1;
        for (int d = shape.Count - 1; d >= 0; d--)
        {
            strides[d] = step;
            step *= Math.Max(shape[d], 1);
        }
        return strides;
    }
}

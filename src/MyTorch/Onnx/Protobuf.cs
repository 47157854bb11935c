using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace MyTorch.Onnx;

/// <summary>
/// The protocol-buffers wire format, as far as ONNX files need it: varints, 32- and 64-bit fixed values and
/// length-delimited fields (strings, bytes, nested messages, packed arrays). Hand-written so that the library keeps
/// no dependency beyond the runtime for what is a few dozen lines of encoding.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly System.Buffers.ArrayBufferWriter<byte> buffer = new();

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => buffer.WrittenSpan.ToArray();

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        WriteByte((byte)value);
    }

    private void WriteByte(byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    /// <summary>An int64 (or int32, enum) field; negative values take ten bytes, as protobuf encodes them.</summary>
    public void Int64(int field, long value)
    {
        Tag(field, 0);
        Varint((ulong)value);
    }

    /// <summary>A float field (wire type 5).</summary>
    public void Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        buffer.Write(bytes);
    }

    /// <summary>A length-delimited field holding <paramref name="bytes"/>.</summary>
    public void Bytes(int field, ReadOnlySpan<byte> bytes)
    {
        Tag(field, 2);
        Varint((ulong)bytes.Length);
        buffer.Write(bytes);
    }

    /// <summary>A UTF-8 string field; null writes nothing.</summary>
    public void String(int field, string? value)
    {
        if (value is not null) Bytes(field, Encoding.UTF8.GetBytes(value));
    }

    /// <summary>A nested message, written by <paramref name="write"/>.</summary>
    public void Message(int field, Action<ProtoWriter> write)
    {
        var nested = new ProtoWriter();
        write(nested);
        Bytes(field, nested.buffer.WrittenSpan);
    }
}

/// <summary>One field read by <see cref="ProtoReader"/>: its number, wire type and value.</summary>
internal readonly record struct ProtoField(int Number, int WireType, ulong Scalar, ReadOnlyMemory<byte> Bytes)
{
    public long Int64 => (long)Scalar;

    public float Float => BitConverter.Int32BitsToSingle((int)Scalar);

    public double Double => BitConverter.Int64BitsToDouble((long)Scalar);

    public string String => Encoding.UTF8.GetString(Bytes.Span);

    /// <summary>The int64 values of a repeated field: one unpacked value, or a packed run of varints.</summary>
    public IEnumerable<long> Int64s()
    {
        if (WireType == 0) return [Int64];
        var values = new List<long>();
        var reader = new ProtoReader(Bytes, "packed int64 array");
        while (!reader.AtEnd) values.Add((long)reader.ReadVarint());
        return values;
    }

    /// <summary>The float values of a repeated field: one unpacked value, or a packed run.</summary>
    public IEnumerable<float> Floats()
    {
        if (WireType == 5) return [Float];
        var span = Bytes.Span;
        if (span.Length % 4 != 0) throw new InvalidDataException("ONNX: a packed float array's length is not a multiple of 4.");
        var values = new float[span.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]);
        return values;
    }

    /// <summary>The double values of a repeated field: one unpacked value, or a packed run.</summary>
    public IEnumerable<double> Doubles()
    {
        if (WireType == 1) return [Double];
        var span = Bytes.Span;
        if (span.Length % 8 != 0) throw new InvalidDataException("ONNX: a packed double array's length is not a multiple of 8.");
        var values = new double[span.Length / 8];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(span[(8 * i)..]);
        return values;
    }
}

/// <summary>Reads the fields of one message; unknown fields are returned like the others, for the caller to skip.</summary>
internal sealed class ProtoReader(ReadOnlyMemory<byte> data, string what)
{
    private int position;

    public bool AtEnd => position >= data.Length;

    private InvalidDataException Truncated() => new($"ONNX: the {what} is truncated or malformed at byte {position}.");

    public ulong ReadVarint()
    {
        ulong value = 0;
        var span = data.Span;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (position >= span.Length) throw Truncated();
            byte b = span[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Truncated();
    }

    /// <summary>The next field.</summary>
    /// <exception cref="InvalidDataException">The data ends inside the field, or uses a wire type ONNX never does.</exception>
    public ProtoField Next()
    {
        ulong tag = ReadVarint();
        int number = (int)(tag >> 3), wireType = (int)(tag & 7);
        switch (wireType)
        {
            case 0:
                return new ProtoField(number, 0, ReadVarint(), default);
            case 1:
                if (position + 8 > data.Length) throw Truncated();
                position += 8;
                return new ProtoField(number, 1, BinaryPrimitives.ReadUInt64LittleEndian(data.Span[(position - 8)..]), default);
            case 5:
                if (position + 4 > data.Length) throw Truncated();
                position += 4;
                return new ProtoField(number, 5, BinaryPrimitives.ReadUInt32LittleEndian(data.Span[(position - 4)..]), default);
            case 2:
                ulong length = ReadVarint();
                if (length > (ulong)(data.Length - position)) throw Truncated();
                position += (int)length;
                return new ProtoField(number, 2, 0, data.Slice(position - (int)length, (int)length));
            default:
                throw new InvalidDataException($"ONNX: the {what} has an unsupported protobuf wire type {wireType} at byte {position}.");
        }
    }
}

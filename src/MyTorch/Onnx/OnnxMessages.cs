using System.Buffers.Binary;

namespace MyTorch.Onnx;

// The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) that MyTorch writes and reads,
// with its field numbers. Fields a reader does not know are skipped, as protobuf specifies.

/// <summary>ONNX's TensorProto.DataType values MyTorch uses.</summary>
internal static class OnnxDataType
{
    public const int Float = 1, Int32 = 6, Int64 = 7, Bool = 9, Double = 11;

    public static int Of(DType dtype) => dtype switch
    {
        DType.Float32 => Float,
        DType.Float64 => Double,
        DType.Int64 => Int64,
        _ => throw new NotSupportedException($"ONNX export: tensors of dtype {dtype.Name()} are not supported (float32, float64 and int64 are)."),
    };

    public static string Name(int type) => type switch
    {
        Float => "float", Int32 => "int32", Int64 => "int64", Bool => "bool", Double => "double", _ => $"data type {type}",
    };
}

/// <summary>TensorProto: an initializer or a constant, with its data as raw little-endian bytes or typed arrays.</summary>
internal sealed class OnnxTensorProto
{
    public string Name { get; set; } = "";
    public int DataType { get; set; }
    public List<long> Dims { get; } = [];
    public byte[]? RawData { get; set; }
    public List<float> FloatData { get; } = [];
    public List<double> DoubleData { get; } = [];
    public List<long> Int64Data { get; } = [];
    public List<long> Int32Data { get; } = [];
    public bool External { get; set; }

    /// <summary>A tensor's values as a TensorProto (raw data, as exporters write them).</summary>
    public static OnnxTensorProto From(string name, Tensor value)
    {
        var proto = new OnnxTensorProto { Name = name, DataType = OnnxDataType.Of(value.DType) };
        foreach (int d in value.Shape) proto.Dims.Add(d);
        proto.RawData = value.DType switch
        {
            DType.Float32 => ToBytes(value.ToArray<float>(), 4, static (s, v) => BinaryPrimitives.WriteSingleLittleEndian(s, v)),
            DType.Float64 => ToBytes(value.ToArray<double>(), 8, static (s, v) => BinaryPrimitives.WriteDoubleLittleEndian(s, v)),
            _ => ToBytes(value.ToArray<long>(), 8, static (s, v) => BinaryPrimitives.WriteInt64LittleEndian(s, v)),
        };
        return proto;
    }

    private delegate void Put<T>(Span<byte> destination, T value);

    private static byte[] ToBytes<T>(T[] values, int size, Put<T> put)
    {
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++) put(bytes.AsSpan(i * size), values[i]);
        return bytes;
    }

    /// <summary>The values as a MyTorch tensor: float and double as themselves, the integer types as int64.</summary>
    public Tensor ToTensor()
    {
        if (External) throw new NotSupportedException($"ONNX: tensor '{Name}' keeps its data in an external file, which MyTorch does not read.");
        var shape = Dims.Select(d => d is >= 0 and <= int.MaxValue ? (int)d
            : throw new InvalidDataException($"ONNX: tensor '{Name}' has an invalid dimension {d}.")).ToArray();
        long count = 1;
        foreach (int d in shape) count = checked(count * d);
        Tensor result = DataType switch
        {
            OnnxDataType.Float => Tensor.FromArray(RawData is null ? [.. FloatData] : FromBytes(RawData, 4, BinaryPrimitives.ReadSingleLittleEndian), shape),
            OnnxDataType.Double => Tensor.FromArray(RawData is null ? [.. DoubleData] : FromBytes(RawData, 8, BinaryPrimitives.ReadDoubleLittleEndian), shape),
            OnnxDataType.Int64 => Tensor.FromArray(RawData is null ? [.. Int64Data] : FromBytes(RawData, 8, BinaryPrimitives.ReadInt64LittleEndian), shape),
            OnnxDataType.Int32 or OnnxDataType.Bool => Tensor.FromArray(RawData is null ? [.. Int32Data]
                : DataType == OnnxDataType.Bool ? [.. RawData.Select(b => (long)b)]
                : [.. FromBytes(RawData, 4, BinaryPrimitives.ReadInt32LittleEndian).Select(v => (long)v)], shape),
            _ => throw new NotSupportedException($"ONNX: tensor '{Name}' has {OnnxDataType.Name(DataType)} data; MyTorch reads float, double, int32, int64 and bool."),
        };
        if (result.Count != count)
            throw new InvalidDataException($"ONNX: tensor '{Name}' holds {result.Count} values for its shape ({string.Join(", ", shape)}) of {count}.");
        return result;
    }

    private delegate T Get<T>(ReadOnlySpan<byte> source);

    private T[] FromBytes<T>(byte[] bytes, int size, Get<T> get)
    {
        if (bytes.Length % size != 0) throw new InvalidDataException($"ONNX: tensor '{Name}' has {bytes.Length} bytes of raw data, not a multiple of {size}.");
        var values = new T[bytes.Length / size];
        for (int i = 0; i < values.Length; i++) values[i] = get(bytes.AsSpan(i * size));
        return values;
    }

    public void Write(ProtoWriter w)
    {
        foreach (long d in Dims) w.Int64(1, d);
        w.Int64(2, DataType);
        w.String(8, Name);
        if (RawData is not null) w.Bytes(9, RawData);
    }

    public static OnnxTensorProto Read(ReadOnlyMemory<byte> data)
    {
        var t = new OnnxTensorProto();
        var r = new ProtoReader(data, "tensor");
        while (!r.AtEnd)
        {
            var f = r.Next();
            switch (f.Number)
            {
                case 1: t.Dims.AddRange(f.Int64s()); break;
                case 2: t.DataType = (int)f.Int64; break;
                case 4: t.FloatData.AddRange(f.Floats()); break;
                case 5: t.Int32Data.AddRange(f.Int64s()); break;
                case 7: t.Int64Data.AddRange(f.Int64s()); break;
                case 8: t.Name = f.String; break;
                case 9: t.RawData = f.Bytes.ToArray(); break;
                case 10: t.DoubleData.AddRange(f.Doubles()); break;
                case 14: t.External = f.Int64 == 1; break;
            }
        }
        return t;
    }
}

/// <summary>AttributeProto, for the kinds MyTorch uses: float, int, string, tensor, floats, ints.</summary>
internal sealed class OnnxAttribute
{
    public const int FloatType = 1, IntType = 2, StringType = 3, TensorType = 4, FloatsType = 6, IntsType = 7;

    public string Name { get; set; } = "";
    public int Type { get; set; }
    public float F { get; set; }
    public long I { get; set; }
    public string? S { get; set; }
    public OnnxTensorProto? T { get; set; }
    public List<float> Floats { get; } = [];
    public List<long> Ints { get; } = [];

    public void Write(ProtoWriter w)
    {
        w.String(1, Name);
        switch (Type)
        {
            case FloatType: w.Float(2, F); break;
            case IntType: w.Int64(3, I); break;
            case StringType: w.String(4, S); break;
            case TensorType: w.Message(5, T!.Write); break;
            case FloatsType: foreach (var v in Floats) w.Float(7, v); break;
            case IntsType: foreach (var v in Ints) w.Int64(8, v); break;
        }
        w.Int64(20, Type);
    }

    public static OnnxAttribute Read(ReadOnlyMemory<byte> data)
    {
        var a = new OnnxAttribute();
        var r = new ProtoReader(data, "attribute");
        while (!r.AtEnd)
        {
            var f = r.Next();
            switch (f.Number)
            {
                case 1: a.Name = f.String; break;
                case 2: a.F = f.Float; break;
                case 3: a.I = f.Int64; break;
                case 4: a.S = f.String; break;
                case 5: a.T = OnnxTensorProto.Read(f.Bytes); break;
                case 7: a.Floats.AddRange(f.Floats()); break;
                case 8: a.Ints.AddRange(f.Int64s()); break;
                case 20: a.Type = (int)f.Int64; break;
            }
        }
        return a;
    }
}

/// <summary>NodeProto: one operator call.</summary>
internal sealed class OnnxNode
{
    public List<string> Inputs { get; } = [];
    public List<string> Outputs { get; } = [];
    public string Name { get; set; } = "";
    public string OpType { get; set; } = "";
    public string Domain { get; set; } = "";
    public List<OnnxAttribute> Attributes { get; } = [];

    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    public void Write(ProtoWriter w)
    {
        foreach (var i in Inputs) w.String(1, i);
        foreach (var o in Outputs) w.String(2, o);
        w.String(3, Name);
        w.String(4, OpType);
        foreach (var a in Attributes) w.Message(5, a.Write);
        if (Domain.Length > 0) w.String(7, Domain);
    }

    public static OnnxNode Read(ReadOnlyMemory<byte> data)
    {
        var n = new OnnxNode();
        var r = new ProtoReader(data, "node");
        while (!r.AtEnd)
        {
            var f = r.Next();
            switch (f.Number)
            {
                case 1: n.Inputs.Add(f.String); break;
                case 2: n.Outputs.Add(f.String); break;
                case 3: n.Name = f.String; break;
                case 4: n.OpType = f.String; break;
                case 5: n.Attributes.Add(OnnxAttribute.Read(f.Bytes)); break;
                case 7: n.Domain = f.String; break;
            }
        }
        return n;
    }
}

/// <summary>ValueInfoProto of a tensor: name, element type and shape; a dimension is a size or a symbolic name.</summary>
internal sealed class OnnxValueInfo
{
    public string Name { get; set; } = "";
    public int ElementType { get; set; }
    public List<(long Size, string? Symbol)> Dims { get; } = [];
    public bool HasShape { get; set; }

    public void Write(ProtoWriter w)
    {
        w.String(1, Name);
        w.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int64(1, ElementType);
            tensor.Message(2, shape =>
            {
                foreach (var (size, symbol) in Dims)
                    shape.Message(1, dim => { if (symbol is null) dim.Int64(1, size); else dim.String(2, symbol); });
            });
        }));
    }

    public static OnnxValueInfo Read(ReadOnlyMemory<byte> data)
    {
        var v = new OnnxValueInfo();
        var r = new ProtoReader(data, "value info");
        while (!r.AtEnd)
        {
            var f = r.Next();
            if (f.Number == 1) v.Name = f.String;
            else if (f.Number == 2) ReadType(f.Bytes, v);
        }
        return v;
    }

    private static void ReadType(ReadOnlyMemory<byte> data, OnnxValueInfo v)
    {
        var r = new ProtoReader(data, "type");
        while (!r.AtEnd)
        {
            var f = r.Next();
            if (f.Number != 1) continue;
            var tensor = new ProtoReader(f.Bytes, "tensor type");
            while (!tensor.AtEnd)
            {
                var t = tensor.Next();
                if (t.Number == 1) v.ElementType = (int)t.Int64;
                else if (t.Number == 2)
                {
                    v.HasShape = true;
                    var shape = new ProtoReader(t.Bytes, "shape");
                    while (!shape.AtEnd)
                    {
                        var d = shape.Next();
                        if (d.Number != 1) continue;
                        long size = -1;
                        string? symbol = null;
                        var dim = new ProtoReader(d.Bytes, "dimension");
                        while (!dim.AtEnd)
                        {
                            var x = dim.Next();
                            if (x.Number == 1) size = x.Int64;
                            else if (x.Number == 2) symbol = x.String;
                        }
                        v.Dims.Add((size, symbol ?? (size < 0 ? "?" : null)));
                    }
                }
            }
        }
    }
}

/// <summary>GraphProto.</summary>
internal sealed class OnnxGraphProto
{
    public string Name { get; set; } = "";
    public List<OnnxNode> Nodes { get; } = [];
    public List<OnnxTensorProto> Initializers { get; } = [];
    public List<OnnxValueInfo> Inputs { get; } = [];
    public List<OnnxValueInfo> Outputs { get; } = [];
    public string? DocString { get; set; }

    public void Write(ProtoWriter w)
    {
        foreach (var n in Nodes) w.Message(1, n.Write);
        w.String(2, Name);
        foreach (var t in Initializers) w.Message(5, t.Write);
        w.String(10, DocString);
        foreach (var i in Inputs) w.Message(11, i.Write);
        foreach (var o in Outputs) w.Message(12, o.Write);
    }

    public static OnnxGraphProto Read(ReadOnlyMemory<byte> data)
    {
        var g = new OnnxGraphProto();
        var r = new ProtoReader(data, "graph");
        while (!r.AtEnd)
        {
            var f = r.Next();
            switch (f.Number)
            {
                case 1: g.Nodes.Add(OnnxNode.Read(f.Bytes)); break;
                case 2: g.Name = f.String; break;
                case 5: g.Initializers.Add(OnnxTensorProto.Read(f.Bytes)); break;
                case 10: g.DocString = f.String; break;
                case 11: g.Inputs.Add(OnnxValueInfo.Read(f.Bytes)); break;
                case 12: g.Outputs.Add(OnnxValueInfo.Read(f.Bytes)); break;
            }
        }
        return g;
    }
}

/// <summary>ModelProto: the file.</summary>
internal sealed class OnnxModelProto
{
    public long IrVersion { get; set; }
    public List<(string Domain, long Version)> Opsets { get; } = [];
    public string? ProducerName { get; set; }
    public string? ProducerVersion { get; set; }
    public string? DocString { get; set; }
    public OnnxGraphProto Graph { get; set; } = new();
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public byte[] ToBytes()
    {
        var w = new ProtoWriter();
        w.Int64(1, IrVersion);
        w.String(2, ProducerName);
        w.String(3, ProducerVersion);
        w.String(6, DocString);
        w.Message(7, Graph.Write);
        foreach (var (domain, version) in Opsets) w.Message(8, o => { o.String(1, domain); o.Int64(2, version); });
        foreach (var (key, value) in Metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) w.Message(14, e => { e.String(1, key); e.String(2, value); });
        return w.ToArray();
    }

    public static OnnxModelProto Read(ReadOnlyMemory<byte> data)
    {
        var m = new OnnxModelProto();
        var r = new ProtoReader(data, "model");
        bool sawGraph = false;
        while (!r.AtEnd)
        {
            var f = r.Next();
            switch (f.Number)
            {
                case 1: m.IrVersion = f.Int64; break;
                case 2: m.ProducerName = f.String; break;
                case 3: m.ProducerVersion = f.String; break;
                case 6: m.DocString = f.String; break;
                case 7: m.Graph = OnnxGraphProto.Read(f.Bytes); sawGraph = true; break;
                case 8:
                    {
                        string domain = "";
                        long version = 0;
                        var o = new ProtoReader(f.Bytes, "opset");
                        while (!o.AtEnd)
                        {
                            var x = o.Next();
                            if (x.Number == 1) domain = x.String;
                            else if (x.Number == 2) version = x.Int64;
                        }
                        m.Opsets.Add((domain, version));
                        break;
                    }
                case 14:
                    {
                        string key = "", value = "";
                        var e = new ProtoReader(f.Bytes, "metadata entry");
                        while (!e.AtEnd)
                        {
                            var x = e.Next();
                            if (x.Number == 1) key = x.String;
                            else if (x.Number == 2) value = x.String;
                        }
                        m.Metadata[key] = value;
                        break;
                    }
            }
        }
        if (!sawGraph) throw new InvalidDataException("ONNX: the file holds no graph; it is not an ONNX model.");
        return m;
    }
}

using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using MyTorch.NN;

namespace MyTorch.IO;

/// <summary>
/// Saves and loads state dicts in the safetensors format that PyTorch and Hugging Face use: an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON describing each tensor (<c>dtype</c>, <c>shape</c>, <c>data_offsets</c>)
/// plus string <c>__metadata__</c>, then the raw little-endian tensor data.
/// </summary>
/// <remarks>
/// Loading checks the whole header before allocating any tensor, so a corrupt or hostile file produces a
/// <see cref="DataFormatException"/> that names the byte offset, never an out-of-memory or JSON exception.
/// Supported dtypes: F32, F64 and I64; with conversion also F16, BF16, I32, I16, I8, U8 and BOOL.
/// </remarks>
public static class Safetensors
{
    /// <summary>The largest JSON header accepted (100 MB, the limit of the reference implementation).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>The most dimensions a tensor may have (PyTorch's limit); a longer shape is taken as a corrupt header.</summary>
    public const int MaxRank = 64;

    /// <summary>The header key that holds string metadata rather than a tensor.</summary>
    public const string MetadataKey = "__metadata__";

    // Tensor data moves in slices of at most this many bytes, so spans never exceed int.MaxValue.
    private const int ChunkBytes = 1 << 30;

    /// <summary>
    /// Writes <paramref name="tensors"/> (listed in the header in the dict's order) and its <see cref="StateDict.Metadata"/> to
    /// <paramref name="path"/>, replacing the file atomically.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is named <c>__metadata__</c>.</exception>
    public static void Save(string path, StateDict tensors)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var tensor in DataOrder(tensors))
            {
                switch (tensor.DType)
                {
                    case DType.Float32: WriteElements(stream, tensor.F32); break;
                    case DType.Float64: WriteElements(stream, tensor.F64); break;
                    default: WriteElements(stream, tensor.I64); break;
                }
            }
        });
    }

    private static byte[] BuildHeader(StateDict tensors)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (tensors.Metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in tensors.Metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            var offsets = DataOffsets(tensors);
            int index = 0;
            foreach (var (name, tensor) in tensors)
            {
                if (name == MetadataKey)
                    throw new ArgumentException($"Safetensors.Save: a tensor cannot be named '{MetadataKey}'; that key holds the metadata.", nameof(tensors));
                json.WriteStartObject(name);
                json.WriteString("dtype", Code(tensor.DType));
                json.WriteStartArray("shape");
                foreach (int size in tensor.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offsets[index]);
                json.WriteNumberValue(offsets[index] + ByteLength(tensor));
                json.WriteEndArray();
                json.WriteEndObject();
                index++;
            }
            json.WriteEndObject();
        }
        // Pad with spaces (valid JSON whitespace) so the data starts 8-byte aligned, as the reference writer does.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>
    /// Where each tensor's data starts. Like the reference writer, 8-byte dtypes come first and float32 after, each
    /// group in dict order, so every tensor is aligned to its element size (the header is padded to 8 bytes) and
    /// memory-mapping readers need no copies. The header still lists the tensors in dict order.
    /// </summary>
    private static long[] DataOffsets(StateDict tensors)
    {
        var offsets = new long[tensors.Count];
        long offset = 0;
        foreach (bool wide in new[] { true, false })
        {
            int index = 0;
            foreach (var (_, tensor) in tensors)
            {
                if ((tensor.DType.ElementSize() == 8) == wide)
                {
                    offsets[index] = offset;
                    offset += ByteLength(tensor);
                }
                index++;
            }
        }
        return offsets;
    }

    /// <summary>The tensors in the order their data is laid out in the file (see <see cref="DataOffsets"/>).</summary>
    private static IEnumerable<Tensor> DataOrder(StateDict tensors) =>
        tensors.Values.Where(t => t.DType.ElementSize() == 8).Concat(tensors.Values.Where(t => t.DType.ElementSize() != 8));

    private static long ByteLength(Tensor tensor) => (long)tensor.Count * tensor.DType.ElementSize();

    private static void WriteElements<T>(Stream stream, T[] values) where T : unmanaged
    {
        int perChunk = ChunkBytes / Marshal.SizeOf<T>();
        byte[]? swapped = BitConverter.IsLittleEndian ? null : new byte[Math.Min(values.Length, perChunk) * Marshal.SizeOf<T>()];
        for (int start = 0; start < values.Length; start += perChunk)
        {
            var bytes = MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(perChunk, values.Length - start)));
            if (swapped is not null)
            {
                bytes.CopyTo(swapped);
                bytes = swapped.AsSpan(0, bytes.Length);
                SwapToLittleEndian(bytes, Marshal.SizeOf<T>());
            }
            stream.Write(bytes);
        }
    }

    /// <summary>
    /// Reads a safetensors file: the tensors in the header's order, and the <c>__metadata__</c> strings in
    /// <see cref="StateDict.Metadata"/>.
    /// </summary>
    /// <exception cref="DataFormatException">The header length, JSON, a dtype, a shape or the data offsets are invalid
    /// (the message names the tensor and byte offset), or the file uses a dtype other than F32, F64 or I64.</exception>
    /// <exception cref="DataFormatException">The path is not a regular file (a directory, device or FIFO), or the
    /// tensors are too large for the memory available.</exception>
    /// <exception cref="UnauthorizedAccessException">The file exists but this process may not read it.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static StateDict Load(string path) => Load(path, convertDTypes: false);

    /// <summary>
    /// Reads a safetensors file as <see cref="Load(string)"/> does; with <paramref name="convertDTypes"/> it also reads
    /// the dtypes PyTorch writes that MyTorch does not hold, converted: F16 and BF16 to float32, I32, I16, I8, U8 and
    /// BOOL to int64 (for files from <c>safetensors.torch.save_file</c>).
    /// </summary>
    /// <exception cref="DataFormatException">As for <see cref="Load(string)"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static StateDict Load(string path, bool convertDTypes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ReaderMemory.Guard(path, "Safetensors.Load", () => LoadUnguarded(path, convertDTypes));
    }

    private static StateDict LoadUnguarded(string path, bool convertDTypes)
    {
        using var handle = InputFile.OpenHandle(path);
        long fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
            Fail(path, "the file is too short to be a safetensors file", fileLength, "at least 8 bytes (the header length)", $"{fileLength} bytes");
        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(path, handle, lengthBytes, 0);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
            Fail(path, "the header length is larger than the file", 0, $"at most {fileLength - 8} bytes (the file is {fileLength} bytes)", $"{headerLength}");
        if (headerLength > MaxHeaderLength)
            Fail(path, "the header is larger than the 100 MB limit", 0, $"at most {MaxHeaderLength} bytes", $"{headerLength}");
        var header = new byte[headerLength];
        ReadExactly(path, handle, header, 8);

        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;
        var result = new StateDict();
        var entries = ParseHeader(path, header, dataLength, result.Metadata, convertDTypes);
        CheckLayout(path, entries, dataStart, dataLength);

        // The header's order, which is the saved dict's order (the data may be laid out differently, for alignment).
        entries.Sort((a, b) => a.Index.CompareTo(b.Index));
        foreach (var entry in entries)
        {
            var tensor = ReaderMemory.Empty(path, entry.Shape, entry.DType, "Safetensors.Load");
            if (entry.Code is not ("F32" or "F64" or "I64"))
            {
                var raw = ReaderMemory.Array<byte>(path, entry.End - entry.Begin, "Safetensors.Load");
                ReadExactly(path, handle, raw, dataStart + entry.Begin);
                StorageDTypes.CopyView(raw, entry.Code, 0, [.. entry.Shape.Select(s => (long)s)], StorageDTypes.ContiguousStrides(entry.Shape), tensor);
                result.Add(entry.Name, tensor);
                continue;
            }
            switch (entry.DType)
            {
                case DType.Float32: ReadElements(path, handle, tensor.F32, dataStart + entry.Begin); break;
                case DType.Float64: ReadElements(path, handle, tensor.F64, dataStart + entry.Begin); break;
                default: ReadElements(path, handle, tensor.I64, dataStart + entry.Begin); break;
            }
            result.Add(entry.Name, tensor);
        }
        return result;
    }

    /// <summary>One tensor's header entry, checked: <see cref="HeaderOffset"/> is where its name starts in the file.</summary>
    private sealed record Entry(string Name, DType DType, int[] Shape, long Begin, long End, long HeaderOffset, int Index, string Code);

    private static List<Entry> ParseHeader(string path, byte[] header, long dataLength, Dictionary<string, string> metadata, bool convertDTypes)
    {
        if (!Utf8.IsValid(header)) ThrowInvalidUtf8(path, header);
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                Fail(path, "the header is not a JSON object", 8 + reader.TokenStartIndex, "'{'", reader.TokenType.ToString());
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                long offset = 8 + reader.TokenStartIndex;
                string name = reader.GetString()!;
                if (!names.Add(name)) Fail(path, $"the header names {Q(name)} twice", offset, "distinct tensor names", "a repeated name");
                reader.Read();
                if (name == MetadataKey) ParseMetadata(path, ref reader, metadata, offset);
                else entries.Add(ParseEntry(path, ref reader, name, offset, dataLength, entries.Count, convertDTypes));
            }
            // Only whitespace may follow the object; anything else makes Read throw.
            if (reader.Read()) Fail(path, "text after the header's JSON object", 8 + reader.TokenStartIndex, "spaces", reader.TokenType.ToString());
        }
        catch (JsonException e)
        {
            long offset = 8 + (e.LineNumber == 0 ? e.BytePositionInLine ?? 0 : reader.BytesConsumed);
            throw new DataFormatException(path, "the header is not valid JSON: " + e.Message, offset, innerException: e);
        }
        catch (InvalidOperationException e)
        {
            // GetString's complaint about a \u escape that is half of a surrogate pair: well-formed JSON, but no text.
            throw new DataFormatException(path, "the header holds a string that is not valid text: " + e.Message, 8 + reader.TokenStartIndex,
                expected: "\\u escapes that form whole UTF-16 characters", found: "a lone surrogate escape", innerException: e);
        }
        return entries;
    }

    private static void ParseMetadata(string path, ref Utf8JsonReader reader, Dictionary<string, string> metadata, long offset)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            Fail(path, $"'{MetadataKey}' must be an object of strings", offset, "'{'", reader.TokenType.ToString());
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            long keyOffset = 8 + reader.TokenStartIndex;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                Fail(path, $"metadata value {Q(key)} is not a string", keyOffset, "a JSON string", reader.TokenType.ToString());
            metadata[key] = reader.GetString()!;
        }
    }

    private static Entry ParseEntry(string path, ref Utf8JsonReader reader, string name, long offset, long dataLength, int index, bool convertDTypes)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            Fail(path, $"tensor {Q(name)} is not described by an object", offset, "'{' with dtype, shape and data_offsets", reader.TokenType.ToString());
        string? code = null;
        int[]? shape = null;
        long[]? offsets = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string property = reader.GetString()!;
            reader.Read();
            switch (property)
            {
                case "dtype":
                    if (reader.TokenType != JsonTokenType.String)
                        Fail(path, $"tensor {Q(name)}: dtype is not a string", offset, "a string such as \"F32\"", reader.TokenType.ToString());
                    code = reader.GetString()!;
                    break;
                case "shape":
                    shape = ReadIntegers(path, ref reader, name, "shape", offset, MaxRank, int.MaxValue)
                        .Select(v => (int)v).ToArray();
                    break;
                case "data_offsets":
                    offsets = ReadIntegers(path, ref reader, name, "data_offsets", offset, 2, long.MaxValue);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (code is null || shape is null || offsets is null)
            Fail(path, $"tensor {Q(name)} lacks {(code is null ? "dtype" : shape is null ? "shape" : "data_offsets")}", offset,
                "dtype, shape and data_offsets", "an incomplete entry");
        DType dtype = code switch
        {
            "F32" => DType.Float32,
            "F64" => DType.Float64,
            "I64" => DType.Int64,
            _ when convertDTypes && StorageDTypes.Codes.TryGetValue(code, out var converted) => converted.Target,
            _ => ThrowUnsupportedDType(path, name, code, offset, convertDTypes),
        };
        int elementSize = StorageDTypes.Codes[code].Size;
        if (offsets.Length != 2)
            Fail(path, $"tensor {Q(name)}: data_offsets must hold [begin, end]", offset, "2 numbers", $"{offsets.Length}");
        (long begin, long end) = (offsets[0], offsets[1]);
        if (begin > end || end > dataLength)
            Fail(path, $"tensor {Q(name)}: data_offsets [{begin}, {end}] lie outside the {dataLength}-byte data section", offset,
                $"0 <= begin <= end <= {dataLength}", $"[{begin}, {end}]");

        // Sizes are below 2^31 and the running product is capped below 2^31, so nothing here overflows a long.
        // Like Shapes.Count, a prefix too large to hold fails even if a later size is 0.
        long count = 1;
        for (int i = 0; i < shape.Length && count > 0; i++)
        {
            count *= shape[i];
            if (count > Array.MaxLength)
                Fail(path, $"tensor {Q(name)}: shape {Shapes.Format(shape)} has more elements than a tensor can hold", offset,
                    $"at most {Array.MaxLength} elements", "more");
        }
        long bytes = count * elementSize;
        if (end - begin != bytes)
            Fail(path, $"tensor {Q(name)}: data_offsets [{begin}, {end}] do not match shape {Shapes.Format(shape)} of {Q(code)}", offset,
                $"{bytes} bytes", $"{end - begin} bytes");
        return new Entry(name, dtype, shape, begin, end, offset, index, code);
    }

    private static long[] ReadIntegers(string path, ref Utf8JsonReader reader, string name, string property, long offset,
        long maxCount, long maxValue)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            Fail(path, $"tensor {Q(name)}: {property} is not an array", offset, "an array of non-negative integers", reader.TokenType.ToString());
        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            long value = -1;
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out value) || value < 0 || value > maxValue)
                Fail(path, $"tensor {Q(name)}: {property} holds an invalid value", 8 + reader.TokenStartIndex,
                    $"integers 0..{maxValue}", Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan));
            if (values.Count == maxCount)
                Fail(path, $"tensor {Q(name)}: {property} has too many values", 8 + reader.TokenStartIndex, $"at most {maxCount}", "more");
            values.Add(value);
        }
        return [.. values];
    }

    /// <summary>Sorts entries by data offset and checks they tile the data section exactly: no overlap, no gap, no slack.</summary>
    private static void CheckLayout(string path, List<Entry> entries, long dataStart, long dataLength)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End != b.End ? a.End.CompareTo(b.End) : a.Index.CompareTo(b.Index));
        long next = 0;
        Entry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < next)
                Fail(path, $"tensor {Q(entry.Name)} (data [{entry.Begin}, {entry.End}]) overlaps tensor {Q(previous!.Name)} (data [{previous.Begin}, {previous.End}])",
                    dataStart + entry.Begin, $"data to start at {next} or later", $"{entry.Begin}");
            if (entry.Begin > next)
                Fail(path, $"bytes [{next}, {entry.Begin}) of the data section belong to no tensor (before tensor {Q(entry.Name)})",
                    dataStart + next, $"tensor {Q(entry.Name)} to start at {next}", $"{entry.Begin}");
            next = entry.End;
            previous = entry;
        }
        if (next != dataLength)
            Fail(path, $"bytes [{next}, {dataLength}) at the end of the data section belong to no tensor", dataStart + next,
                $"the file to end at byte {dataStart + next}", $"{dataLength - next} more bytes");
    }

    private static void ReadElements<T>(string path, Microsoft.Win32.SafeHandles.SafeFileHandle handle, T[] values, long fileOffset) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        int perChunk = ChunkBytes / size;
        for (int start = 0; start < values.Length; start += perChunk)
        {
            var bytes = MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(perChunk, values.Length - start)));
            ReadExactly(path, handle, bytes, fileOffset + (long)start * size);
            if (!BitConverter.IsLittleEndian) SwapToLittleEndian(bytes, size);
        }
    }

    private static void ReadExactly(string path, Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> buffer, long fileOffset)
    {
        while (buffer.Length > 0)
        {
            int got = RandomAccess.Read(handle, buffer, fileOffset);
            if (got == 0) Fail(path, "the file ended early (was it truncated while being read?)", fileOffset, $"{buffer.Length} more bytes", "the end of the file");
            buffer = buffer[got..];
            fileOffset += got;
        }
    }

    private static void SwapToLittleEndian(Span<byte> bytes, int elementSize)
    {
        if (elementSize == 4) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, int>(bytes), MemoryMarshal.Cast<byte, int>(bytes));
        else BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, long>(bytes), MemoryMarshal.Cast<byte, long>(bytes));
    }

    private static string Code(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        _ => "I64",
    };

    /// <summary>A name from the header as a message shows it: quoted, control characters escaped, long names cut.</summary>
    private static string Q(string text) => MessageText.Quote(text);

    [DoesNotReturn]
    private static DType ThrowUnsupportedDType(string path, string name, string code, long offset, bool convertDTypes) =>
        throw new DataFormatException(path, $"tensor {Q(name)} has dtype {MessageText.Clean(code)}, which MyTorch cannot load", offset,
            expected: convertDTypes ? "dtype F32, F64, F16, BF16, I64, I32, I16, I8, U8 or BOOL" : "dtype F32, F64 or I64", found: code);

    [DoesNotReturn]
    private static void ThrowInvalidUtf8(string path, byte[] header)
    {
        var rest = header.AsSpan();
        while (Rune.DecodeFromUtf8(rest, out _, out int consumed) == OperationStatus.Done) rest = rest[consumed..];
        Fail(path, "the header is not valid UTF-8", 8 + header.Length - rest.Length, "UTF-8 JSON", $"byte 0x{rest[0]:X2}");
    }

    [DoesNotReturn]
    private static void Fail(string path, string problem, long offset, string expected, string found) =>
        throw new DataFormatException(path, problem, offset, expected: expected, found: found);
}

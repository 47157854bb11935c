using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using MyTorch.Kernels;

namespace MyTorch.IO;

/// <summary>
/// Reads and writes the IDX format of the MNIST files: two zero bytes, a type byte, a dimension-count byte,
/// one big-endian int32 size per dimension, then the elements in big-endian row-major order.
/// Files may be raw or gzip-compressed; compression is detected from the content (bytes 0x1F 0x8B), not the name.
/// </summary>
public static class Idx
{
    /// <summary>The most dimensions a file may declare; more is taken as a corrupt header.</summary>
    public const int MaxRank = 8;

    // A multiple of every element size, so chunks always hold whole elements.
    private const int ChunkSize = 1 << 20;

    // How many times the compressed file's size a gzip file's destination may take before its data has been seen to
    // be that long (see Decode). Real files are far below it: Fashion-MNIST's images decode to 7 times their .gz
    // size as float32. The fuzz tests allow a reader 2048 bytes per input byte.
    private const long MaxUpFrontExpansion = 1024;

    private static long maxDecompressedBytes = 1L << 30;

    /// <summary>
    /// The most bytes a gzip-compressed IDX file may decompress to (default 1 GiB: the largest MNIST-style files,
    /// EMNIST's, are about 550 MB). A header that promises more is refused before any data is read, and data that
    /// runs past the limit stops there, so a small file cannot inflate to gigabytes. Raise it for larger data sets.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public static long MaxDecompressedBytes
    {
        get => Volatile.Read(ref maxDecompressedBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref maxDecompressedBytes, value);
        }
    }

    // Data sections at least this large are stored on a second thread while the next chunk is read (Sink).
    private const long PipelineBytes = 4L << 20;

    /// <summary>
    /// Reads an IDX file (raw or gzip) into a tensor with the file's dimensions, converting the values to
    /// <paramref name="dtype"/> (use <see cref="DType.Int64"/> for labels; floats are truncated toward zero then).
    /// The header is checked before anything large is allocated.
    /// </summary>
    /// <exception cref="DataFormatException">The file is not a well-formed IDX file: bad magic, type or sizes,
    /// or a data section shorter or longer than the sizes say; a gzip file whose trailer (CRC32 and length) is missing
    /// or does not match, or that decompresses to more than <see cref="MaxDecompressedBytes"/>; a path that is not a
    /// regular file (a directory, device or FIFO); data too large for the memory available.</exception>
    /// <exception cref="UnauthorizedAccessException">The file exists but this process may not read it.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Tensor Read(string path, DType dtype = DType.Float32) => ReadWithHeader(path, dtype).Tensor;

    /// <summary>Reads the file and also returns its element type and header length, for callers that check them (MNIST).</summary>
    internal static (Tensor Tensor, IdxType Type, int HeaderLength, bool Gzip) ReadWithHeader(string path, DType dtype,
        (int Count, string LabelsPath)? expectedImages = null, long? maxDecompressedBytes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Enum.IsDefined(dtype)) throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype.");
        var sink = new TensorSink(path, dtype) { ExpectedImages = expectedImages };
        var (_, type, headerLength, gzip) = ReadInto(path, sink, maxDecompressedBytes);
        return (sink.Result, type, headerLength, gzip);
    }

    /// <summary>Reads the file, with every check <see cref="Read"/> makes, into <paramref name="sink"/>.</summary>
    internal static (int[] Shape, IdxType Type, int HeaderLength, bool Gzip) ReadInto(string path, Sink sink, long? maxDecompressedBytes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ReaderMemory.Guard(path, "Idx.Read", () => ReadIntoUnguarded(path, sink, maxDecompressedBytes));
    }

    private static (int[] Shape, IdxType Type, int HeaderLength, bool Gzip) ReadIntoUnguarded(string path, Sink sink, long? maxDecompressedBytes)
    {
        sink.Path = path;
        using var file = InputFile.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        bool gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        file.Position = 0;
        if (!gzip) return Decode(new Source(path, file, gzip: false), file.Length, gzip: false, sink);
        long limit = maxDecompressedBytes ?? MaxDecompressedBytes;
        using var decompressed = new GzipReader(path, file, limit);
        return Decode(new Source(path, decompressed, gzip: true), limit, gzip: true, sink);
    }

    /// <summary>
    /// Decodes the header and the data into <paramref name="sink"/>. <paramref name="fileLength"/> is the length of the
    /// file on disk when raw, and the most bytes the data may decompress to when <paramref name="gzip"/>.
    /// </summary>
    private static (int[], IdxType, int, bool) Decode(Source source, long fileLength, bool gzip, Sink sink)
    {
        Span<byte> head = stackalloc byte[4];
        int got = source.Read(head);
        if (got < 4) source.Fail("the file ends inside the 4-byte IDX header", got, "4 header bytes", $"{got}");
        if (head[0] != 0 || head[1] != 0)
            source.Fail("not an IDX file", head[0] != 0 ? 0 : 1, "magic bytes 0x00 0x00", $"0x{head[0]:X2} 0x{head[1]:X2}");
        var type = (IdxType)head[2];
        if (!Enum.IsDefined(type))
            source.Fail("unknown IDX element type", 2, "type byte 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E", $"0x{head[2]:X2}");
        int rank = head[3];
        if (rank > MaxRank) source.Fail("too many dimensions", 3, $"0 to {MaxRank} dimensions", $"{rank}");

        int headerLength = 4 + 4 * rank;
        Span<byte> sizeBytes = stackalloc byte[4 * MaxRank];
        sizeBytes = sizeBytes[..(4 * rank)];
        got = source.Read(sizeBytes);
        if (got < sizeBytes.Length)
            source.Fail("the file ends inside the dimension sizes", 4 + got, $"{4 * rank} bytes of sizes for {rank} dimensions", $"{got}");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(sizeBytes[(4 * i)..]);
            if (shape[i] < 0) source.Fail($"dimension {i} has a negative size", 4 + 4 * i, "a size >= 0", $"{shape[i]}");
        }
        // Each factor is below 2^31 and the running product is capped below 2^31, so this never overflows a long.
        // Like Shapes.Count, a prefix too large to hold fails even if a later size is 0.
        for (int i = 0; i < rank && count > 0; i++)
        {
            count *= shape[i];
            if (count > Array.MaxLength) ThrowTooManyElements(source, shape, i);
        }
        int elementSize = ElementSize(type);
        long payload = count * elementSize;
        long expectedEnd = headerLength + payload;

        if (!gzip)
        {
            if (fileLength < expectedEnd)
                source.Fail("the data is truncated", fileLength,
                    $"{payload} data bytes for {Describe(shape, type)} ({expectedEnd} bytes in all)", $"{fileLength - headerLength} data bytes");
            if (fileLength > expectedEnd)
                source.Fail("extra bytes after the data", expectedEnd,
                    $"the file to end at byte {expectedEnd} for {Describe(shape, type)}", $"{fileLength - expectedEnd} more bytes");
            sink.CheckHeader(source.Path, shape, type);
            sink.Allocate(shape, type, payload);
            try
            {
                for (long done = 0; done < payload;)
                {
                    int take = (int)Math.Min(ChunkSize, payload - done);
                    var chunk = sink.Chunk(take);
                    got = source.Read(chunk);
                    if (got < take)
                        source.Fail("the file shrank while it was read", headerLength + done + got, $"{payload} data bytes", $"{done + got}");
                    sink.Commit(done, chunk);
                    done += take;
                }
            }
            finally
            {
                sink.Finish();
            }
            return (shape, type, headerLength, false);
        }

        // gzip: the decompressed size is unknown until read, so read at most one byte more than the header promises
        // (a gzip bomb stops there), and refuse a promise beyond the limit before reading any data.
        // Both ways below read the same chunks, so a corrupt stream fails at the same offset.
        sink.CheckHeader(source.Path, shape, type);
        if (expectedEnd > fileLength)
            source.Fail($"the header promises more data than the limit on decompressed bytes (Idx.{nameof(MaxDecompressedBytes)})", 4,
                $"at most {fileLength} bytes in all", $"{expectedEnd} bytes for {Describe(shape, type)}");
        long total = 0;
        long compressedLength = ((GzipReader)source.Stream).CompressedLength;
        if (sink.Bytes(count, elementSize) <= MaxUpFrontExpansion * compressedLength)
        {
            // Deflate expands at most about 1032 times, so a header within this bound of the compressed size may be
            // telling the truth: allocate the destination now and decode each chunk into it as it arrives, rather than
            // holding the whole decompressed data a second time. A lying header costs at most this bound.
            sink.Allocate(shape, type, payload);
            try
            {
                while (total <= payload)
                {
                    int want = (int)Math.Min(ChunkSize, payload + 1 - total);
                    var chunk = sink.Chunk(want);
                    got = source.Read(chunk);
                    // Whole elements inside the payload only: the last chunk's extra byte just proves the data too long,
                    // and a short read means truncation, which fails below.
                    long inside = Math.Min(got, payload - total);
                    sink.Commit(total, chunk[..(int)(inside - inside % elementSize)]);
                    total += got;
                    if (got < want) break;
                }
            }
            finally
            {
                sink.Finish();
            }
            CheckGzipLength(source, total, payload, headerLength, expectedEnd, shape, type);
            return (shape, type, headerLength, true);
        }

        // A header promising more than the bound (a lie, or data that compresses extremely well, like a file of zeros):
        // allocate the destination only once the data has proved to be the right length, keeping the chunks meanwhile.
        var chunks = new List<byte[]>();
        while (total <= payload)
        {
            var chunk = new byte[(int)Math.Min(ChunkSize, payload + 1 - total)];
            got = source.Read(chunk);
            total += got;
            if (got < chunk.Length)
            {
                if (got > 0) chunks.Add(chunk[..got]);
                break;
            }
            chunks.Add(chunk);
        }
        CheckGzipLength(source, total, payload, headerLength, expectedEnd, shape, type);
        sink.Allocate(shape, type, payload);
        long converted = 0;
        foreach (var chunk in chunks)
        {
            sink.Commit(converted, chunk);
            converted += chunk.Length;
        }
        return (shape, type, headerLength, true);
    }

    private static void CheckGzipLength(Source source, long total, long payload, int headerLength, long expectedEnd, int[] shape, IdxType type)
    {
        if (total < payload)
            source.Fail("the data is truncated", headerLength + total,
                $"{payload} data bytes for {Describe(shape, type)} ({expectedEnd} bytes in all)", $"{total} data bytes");
        if (total > payload)
            source.Fail("extra bytes after the data", expectedEnd,
                $"the data to end at byte {expectedEnd} for {Describe(shape, type)}", "more bytes");
    }

    /// <summary>
    /// Writes <paramref name="tensor"/> as an IDX file of element type <paramref name="type"/>, gzip-compressed if
    /// <paramref name="gzip"/>; the file is replaced atomically. Integer types need integral values in their range.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has more than <see cref="MaxRank"/> dimensions, or a value
    /// that <paramref name="type"/> cannot hold exactly (the message names its index).</exception>
    public static void Write(string path, Tensor tensor, IdxType type, bool gzip = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown IDX element type.");
        if (tensor.Rank > MaxRank)
            throw new ArgumentException($"Idx.Write: IDX files hold at most {MaxRank} dimensions; the tensor has shape {Shapes.Format(tensor.Shape)}.", nameof(tensor));
        for (int i = 0; i < tensor.Count; i++) CheckRepresentable(tensor, i, type);
        AtomicFile.Write(path, stream =>
        {
            if (!gzip)
            {
                WriteBody(stream, tensor, type);
                return;
            }
            using var compressed = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true);
            WriteBody(compressed, tensor, type);
        });
    }

    private static void WriteBody(Stream stream, Tensor tensor, IdxType type)
    {
        Span<byte> header = stackalloc byte[4 + 4 * MaxRank];
        header[0] = 0;
        header[1] = 0;
        header[2] = (byte)type;
        header[3] = (byte)tensor.Rank;
        for (int i = 0; i < tensor.Rank; i++) BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * i)..], tensor.Shape[i]);
        stream.Write(header[..(4 + 4 * tensor.Rank)]);

        int elementSize = ElementSize(type);
        var buffer = new byte[Math.Min(ChunkSize, Math.Max(tensor.Count, 1) * elementSize)];
        int used = 0;
        for (int i = 0; i < tensor.Count; i++)
        {
            double value = tensor.GetDouble(i);
            var slot = buffer.AsSpan(used, elementSize);
            switch (type)
            {
                case IdxType.UByte: slot[0] = (byte)value; break;
                case IdxType.SByte: slot[0] = (byte)(sbyte)value; break;
                case IdxType.Int16: BinaryPrimitives.WriteInt16BigEndian(slot, (short)value); break;
                case IdxType.Int32: BinaryPrimitives.WriteInt32BigEndian(slot, (int)value); break;
                case IdxType.Float32: BinaryPrimitives.WriteSingleBigEndian(slot, (float)value); break;
                default: BinaryPrimitives.WriteDoubleBigEndian(slot, value); break;
            }
            used += elementSize;
            if (used == buffer.Length)
            {
                stream.Write(buffer);
                used = 0;
            }
        }
        stream.Write(buffer.AsSpan(0, used));
    }

    private static void CheckRepresentable(Tensor tensor, int index, IdxType type)
    {
        if (type is IdxType.Float32 or IdxType.Float64) return;
        double value = tensor.GetDouble(index);
        (double min, double max) = type switch
        {
            IdxType.UByte => (byte.MinValue, byte.MaxValue),
            IdxType.SByte => (sbyte.MinValue, sbyte.MaxValue),
            IdxType.Int16 => (short.MinValue, (double)short.MaxValue),
            _ => (int.MinValue, (double)int.MaxValue),
        };
        if (!(value >= min && value <= max && Math.Floor(value) == value)) ThrowNotRepresentable(tensor, index, type, min, max);
    }

    [DoesNotReturn]
    private static void ThrowNotRepresentable(Tensor tensor, int index, IdxType type, double min, double max) =>
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"Idx.Write: element {index} of the tensor is {tensor.GetDouble(index)}, which IDX type {type} cannot hold exactly (integers {min} to {max})."),
            nameof(tensor));

    internal static int ElementSize(IdxType type) => type switch
    {
        IdxType.UByte or IdxType.SByte => 1,
        IdxType.Int16 => 2,
        IdxType.Int32 or IdxType.Float32 => 4,
        _ => 8,
    };

    private static string Describe(int[] shape, IdxType type) => $"shape {Shapes.Format(shape)} of {type}";

    [DoesNotReturn]
    private static void ThrowTooManyElements(Source source, int[] shape, int dimension)
    {
        var product = BigInteger.One;
        foreach (int size in shape) product *= size;
        source.Fail($"the sizes {Shapes.Format(shape)} describe more elements than a tensor can hold", 4 + 4 * dimension,
            $"at most {Array.MaxLength} elements", $"{product} elements");
    }

    /// <summary>Decodes big-endian elements of <paramref name="type"/> in place and stores them from <paramref name="start"/>.</summary>
    private static void Convert(Span<byte> bytes, IdxType type, Tensor destination, int start)
    {
        switch (type)
        {
            case IdxType.UByte when destination.DType == DType.Float32:
                // Images, the common case: a kernel compiled optimized from its first chunk.
                DataKernels.WidenToSingle(bytes, destination.F32.AsSpan(start, bytes.Length));
                break;
            case IdxType.UByte:
                Store<byte>(bytes, destination, start);
                break;
            case IdxType.SByte:
                Store(MemoryMarshal.Cast<byte, sbyte>(bytes), destination, start);
                break;
            case IdxType.Int16:
                if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, short>(bytes), MemoryMarshal.Cast<byte, short>(bytes));
                Store(MemoryMarshal.Cast<byte, short>(bytes), destination, start);
                break;
            case IdxType.Int32:
                if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, int>(bytes), MemoryMarshal.Cast<byte, int>(bytes));
                Store(MemoryMarshal.Cast<byte, int>(bytes), destination, start);
                break;
            case IdxType.Float32:
                if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, int>(bytes), MemoryMarshal.Cast<byte, int>(bytes));
                Store(MemoryMarshal.Cast<byte, float>(bytes), destination, start);
                break;
            default:
                if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, long>(bytes), MemoryMarshal.Cast<byte, long>(bytes));
                Store(MemoryMarshal.Cast<byte, double>(bytes), destination, start);
                break;
        }
    }

    private static void Store<T>(ReadOnlySpan<T> values, Tensor destination, int start) where T : INumberBase<T>
    {
        switch (destination.DType)
        {
            case DType.Float32:
                TensorPrimitives.ConvertTruncating(values, destination.F32.AsSpan(start, values.Length));
                break;
            case DType.Float64:
                TensorPrimitives.ConvertTruncating(values, destination.F64.AsSpan(start, values.Length));
                break;
            default:
                TensorPrimitives.ConvertTruncating(values, destination.I64.AsSpan(start, values.Length));
                break;
        }
    }

    /// <summary>
    /// Where the data section goes as it is read: chunk by chunk, each at its byte offset in the data section. The
    /// chunks are read into a buffer and stored from there; for a large file (and more than one kernel thread) the
    /// store of one chunk runs on a second thread while the next is read (decompressed, mostly) into a second buffer,
    /// in order: storing into fresh memory is mostly page faults, about as slow as the read.
    /// </summary>
    internal abstract class Sink
    {
        private byte[][] buffers = [];
        private int current;
        private Task? storing;

        /// <summary>The bytes the destination takes for <paramref name="count"/> elements of <paramref name="elementSize"/> bytes in the file.</summary>
        public abstract long Bytes(long count, int elementSize);

        /// <summary>Makes the destination, once the header has been checked.</summary>
        protected abstract void Create(int[] shape, IdxType type, long payload);

        /// <summary>Stores <paramref name="chunk"/> (whole elements), the bytes at <paramref name="offset"/> of the data section.</summary>
        protected abstract void Store(long offset, Span<byte> chunk);

        /// <summary>
        /// The number of images the labels file holds, when it was read first: a rank-3 ubyte file claiming another
        /// count is refused as soon as its header is read, before its data is decompressed or buffered.
        /// </summary>
        public (int Count, string LabelsPath)? ExpectedImages { get; set; }

        /// <summary>The file being read, for errors the sink raises.</summary>
        public string Path { get; set; } = "";

        /// <summary>Checks the header against what other files say, before the data is read.</summary>
        public void CheckHeader(string path, int[] shape, IdxType type)
        {
            if (ExpectedImages is not { } expected || type != IdxType.UByte || shape.Length != 3 || shape[0] == expected.Count) return;
            throw new DataFormatException(expected.LabelsPath, $"the label count does not match the {shape[0]} images in '{path}'", 4,
                expected: $"{shape[0]} labels", found: $"{expected.Count} labels");
        }

        /// <summary>Makes the destination and the read buffers.</summary>
        public void Allocate(int[] shape, IdxType type, long payload)
        {
            Create(shape, type, payload);
            // One byte more than a chunk at most: the last gzip chunk asks for one byte past the data.
            int size = (int)Math.Min(ChunkSize, payload + 1);
            buffers = payload >= PipelineBytes && KernelOptions.MaxThreads > 1 ? [new byte[size], new byte[size]] : [new byte[size]];
        }

        /// <summary>Where to read the next <paramref name="length"/> bytes of the data section.</summary>
        public Span<byte> Chunk(int length) => buffers[current].AsSpan(0, length);

        /// <summary>Stores the chunk read at <paramref name="offset"/>: now, or on a second thread when it is in a read buffer that has a twin.</summary>
        public void Commit(long offset, Span<byte> chunk)
        {
            var buffer = buffers[current];
            // The chunk-list path's chunks are stored here and now.
            if (buffers.Length < 2 || !chunk.Overlaps(buffer))
            {
                Finish();
                Store(offset, chunk);
                return;
            }
            int length = chunk.Length;
            Finish(); // the previous chunk, whose buffer the next read fills
            storing = Task.Run(() => Store(offset, buffer.AsSpan(0, length)));
            current ^= 1;
        }

        /// <summary>Waits for the store still in progress; called after the last chunk, and when reading fails.</summary>
        public void Finish()
        {
            var pending = storing;
            storing = null;
            pending?.GetAwaiter().GetResult();
        }
    }

    /// <summary>Decodes the elements into a tensor of the caller's dtype.</summary>
    private sealed class TensorSink(string path, DType dtype) : Sink
    {
        private Tensor? tensor;
        private IdxType type;

        public override long Bytes(long count, int elementSize) => count * dtype.ElementSize();

        protected override void Create(int[] shape, IdxType type, long payload)
        {
            this.type = type;
            tensor = ReaderMemory.Empty(path, shape, dtype, "Idx.Read");
        }

        protected override void Store(long offset, Span<byte> chunk) => Convert(chunk, type, tensor!, (int)(offset / ElementSize(type)));

        /// <summary>The decoded tensor; Decode allocates it on every path that returns.</summary>
        public Tensor Result => tensor!;
    }

    /// <summary>The stream being decoded, with the file's name for errors and whether offsets are in decompressed data.</summary>
    private sealed class Source(string path, Stream stream, bool gzip)
    {
        private long position;

        /// <summary>The file's name as the caller gave it.</summary>
        public string Path => path;

        /// <summary>The stream read: the file, or a <see cref="GzipReader"/> over it.</summary>
        public Stream Stream => stream;

        /// <summary>Reads until <paramref name="buffer"/> is full or the data ends; returns the bytes read.</summary>
        public int Read(Span<byte> buffer)
        {
            try
            {
                int got = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                position += got;
                return got;
            }
            catch (InvalidDataException e)
            {
                // zlib's complaint, which .NET words as an unsupported compression method whatever it was.
                throw new DataFormatException(path, "the gzip data is corrupt after this many decompressed bytes", position,
                    expected: "valid deflate data", found: "data that does not decompress", innerException: e);
            }
        }

        [DoesNotReturn]
        public void Fail(string problem, long offset, string expected, string found) =>
            throw new DataFormatException(path, gzip ? problem + " (offsets count decompressed bytes)" : problem, offset, expected: expected, found: found);
    }
}

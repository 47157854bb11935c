using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;

namespace MyTorch.IO;

/// <summary>
/// Decompresses a single-member gzip file (RFC 1952) and checks it: the header is parsed here, the deflate data
/// is inflated as raw deflate, and when the data ends its CRC32 and length are compared with the trailer, the file's
/// last 8 bytes. A file whose trailer was cut off, or whose data was changed, fails that check instead of being read
/// as if it were whole. Decompressing more than the limit given fails as soon as the limit is passed.
/// </summary>
/// <remarks>
/// Concatenated gzip members (allowed by RFC 1952, rare for data sets) are refused: data after the first member's
/// deflate stream is an error that says so.
/// </remarks>
internal sealed class GzipReader : Stream
{
    private const int TrailerLength = 8;
    private readonly string path;
    private readonly FileStream file;
    private readonly long fileLength;
    private readonly long maxBytes;
    private readonly DeflateStream deflate;
    private readonly Region region;
    private readonly Crc32 crc = new();
    private long total;
    private bool finished;

    /// <summary>Reads the gzip header of <paramref name="file"/> (positioned at 0) and prepares to inflate its data.</summary>
    /// <exception cref="DataFormatException">The header is malformed or the file is too short for a trailer.</exception>
    public GzipReader(string path, FileStream file, long maxBytes)
    {
        this.path = path;
        this.file = file;
        this.maxBytes = maxBytes;
        fileLength = file.Length;
        long headerEnd = ReadHeader();
        if (fileLength - TrailerLength < headerEnd)
            FailCompressed("the file ends before the gzip trailer (it is truncated)", fileLength,
                $"at least {headerEnd + TrailerLength} bytes: the header, the data and an 8-byte trailer", $"{fileLength} bytes");
        region = new Region(file, fileLength - TrailerLength);
        deflate = new DeflateStream(region, CompressionMode.Decompress, leaveOpen: false);
    }

    /// <summary>The length of the compressed file.</summary>
    public long CompressedLength => fileLength;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => total;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (finished || buffer.Length == 0) return 0;
        // Never more than one byte past the limit, so a bomb stops there.
        if (buffer.Length > maxBytes - total + 1) buffer = buffer[..(int)Math.Max(1, maxBytes - total + 1)];
        // Corrupt deflate data raises InvalidDataException, which the caller turns into an error at its own offset.
        int got = deflate.Read(buffer);
        if (got == 0)
        {
            finished = true;
            // The inflater asks for input only once it has used all it was given, and the region hands out its last
            // bytes one at a time: so unread region bytes here mean data after the deflate stream's end.
            if (region.Position < region.End)
                FailCompressed("data follows the end of the compressed stream: a second gzip member (MyTorch reads single-member files) or garbage",
                    region.Position, $"the 8-byte trailer at byte {region.End}", $"{region.End - region.Position} more bytes before it");
            CheckTrailer();
            return 0;
        }
        total += got;
        if (total > maxBytes)
            throw new DataFormatException(path,
                string.Create(CultureInfo.InvariantCulture, $"the gzip data decompresses to more than the limit of {maxBytes} bytes (Idx.MaxDecompressedBytes)"),
                maxBytes, expected: $"at most {maxBytes} decompressed bytes", found: "more");
        crc.Append(buffer[..got]);
        return got;
    }

    private void CheckTrailer()
    {
        Span<byte> trailer = stackalloc byte[TrailerLength];
        int got = RandomAccess.Read(file.SafeFileHandle, trailer, fileLength - TrailerLength);
        if (got < TrailerLength)
            FailCompressed("the file shrank while it was read", fileLength - TrailerLength, "the 8-byte gzip trailer", $"{got} bytes");
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint storedLength = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        uint actualCrc = crc.GetCurrentHashAsUInt32();
        const string Causes = ": the file is corrupt or truncated";
        if (storedCrc != actualCrc)
            FailCompressed("the gzip CRC32 check failed" + Causes, fileLength - TrailerLength,
                $"CRC32 0x{storedCrc:X8} from the trailer (the file's last 8 bytes)", $"0x{actualCrc:X8} for the {total} decompressed bytes");
        if (storedLength != (uint)total)
            FailCompressed("the gzip length check failed" + Causes, fileLength - 4,
                $"{storedLength} decompressed bytes (mod 2^32) from the trailer", $"{total}");
    }

    /// <summary>Parses the fixed header and its optional fields; returns where the deflate data starts.</summary>
    private long ReadHeader()
    {
        Span<byte> fixedPart = stackalloc byte[10];
        if (file.ReadAtLeast(fixedPart, fixedPart.Length, throwOnEndOfStream: false) < fixedPart.Length)
            FailCompressed("the file ends inside the 10-byte gzip header", fileLength, "10 header bytes", $"{fileLength} bytes");
        if (fixedPart[2] != 8)
            FailCompressed("unsupported gzip compression method", 2, "method 8 (deflate)", $"{fixedPart[2]}");
        byte flags = fixedPart[3];
        if ((flags & 0xE0) != 0)
            FailCompressed("the gzip header sets reserved flags", 3, "flag bits 5-7 clear", $"0x{flags:X2}");
        if ((flags & 4) != 0)
        {
            Span<byte> length = stackalloc byte[2];
            if (file.ReadAtLeast(length, 2, throwOnEndOfStream: false) < 2) FailHeaderEnd();
            long skip = BinaryPrimitives.ReadUInt16LittleEndian(length);
            if (file.Position + skip > fileLength) FailHeaderEnd();
            file.Seek(skip, SeekOrigin.Current);
        }
        if ((flags & 8) != 0) SkipZeroTerminated();
        if ((flags & 16) != 0) SkipZeroTerminated();
        if ((flags & 2) != 0)
        {
            if (file.Position + 2 > fileLength) FailHeaderEnd();
            file.Seek(2, SeekOrigin.Current);
        }
        return file.Position;
    }

    private void SkipZeroTerminated()
    {
        while (true)
        {
            int b = file.ReadByte();
            if (b < 0) FailHeaderEnd();
            if (b == 0) return;
        }
    }

    [DoesNotReturn]
    private void FailHeaderEnd() =>
        FailCompressed("the file ends inside the gzip header's optional fields", fileLength, "the rest of the header", "the end of the file");

    [DoesNotReturn]
    private void FailCompressed(string problem, long offset, string expected, string found) =>
        throw new DataFormatException(path, problem + " (offsets count bytes of the compressed file)", offset, expected: expected, found: found);

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) deflate.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// The file up to <c>end</c>: the deflate data without the trailer, which the inflater must not see. The last
    /// <see cref="Tail"/> bytes go out one per read, so where the inflater stopped asking shows where its data ended.
    /// </summary>
    private sealed class Region(FileStream file, long end) : Stream
    {
        private const int Tail = 64;

        public long End => end;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => file.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long left = end - file.Position;
            if (left <= 0 || buffer.Length == 0) return 0;
            return file.Read(buffer[..(int)(left > Tail ? Math.Min(buffer.Length, left - Tail) : 1)]);
        }

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

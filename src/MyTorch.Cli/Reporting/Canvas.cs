using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace MyTorch.Cli.Reporting;

/// <summary>An RGB colour.</summary>
internal readonly record struct Rgb(byte R, byte G, byte B);

/// <summary>
/// A small RGB raster with anti-aliased lines, rectangles and bitmap text, written as a PNG: what a training plot
/// needs, in managed code (no native graphics library to ship), and the same bytes for the same drawing.
/// </summary>
internal sealed class Canvas
{
    private readonly byte[] _pixels;

    /// <summary>A canvas of the given size filled with <paramref name="background"/>.</summary>
    public Canvas(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
        _pixels = new byte[width * height * 3];
        FillRectangle(0, 0, width, height, background);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The colour at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public Rgb this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return new Rgb(_pixels[i], _pixels[i + 1], _pixels[i + 2]);
        }
    }

    /// <summary>Covers (<paramref name="x"/>, <paramref name="y"/>) with <paramref name="color"/> at <paramref name="coverage"/> (0 to 1); outside the canvas it does nothing.</summary>
    public void Blend(int x, int y, Rgb color, double coverage)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || !(coverage > 0)) return;
        coverage = Math.Min(coverage, 1);
        int i = (y * Width + x) * 3;
        _pixels[i] = Mix(_pixels[i], color.R, coverage);
        _pixels[i + 1] = Mix(_pixels[i + 1], color.G, coverage);
        _pixels[i + 2] = Mix(_pixels[i + 2], color.B, coverage);
    }

    private static byte Mix(byte under, byte over, double coverage) => (byte)Math.Round(under + (over - under) * coverage);

    /// <summary>Fills the rectangle with corner (<paramref name="x"/>, <paramref name="y"/>), clipped to the canvas.</summary>
    public void FillRectangle(int x, int y, int width, int height, Rgb color)
    {
        for (int row = Math.Max(y, 0); row < Math.Min(y + height, Height); row++)
            for (int column = Math.Max(x, 0); column < Math.Min(x + width, Width); column++)
                Blend(column, row, color, 1);
    }

    /// <summary>The outline of a rectangle, one pixel wide.</summary>
    public void StrokeRectangle(int x, int y, int width, int height, Rgb color)
    {
        FillRectangle(x, y, width, 1, color);
        FillRectangle(x, y + height - 1, width, 1, color);
        FillRectangle(x, y, 1, height, color);
        FillRectangle(x + width - 1, y, 1, height, color);
    }

    /// <summary>An anti-aliased line of <paramref name="thickness"/> pixels with round ends, in pixel-centre coordinates.</summary>
    public void Line(double x0, double y0, double x1, double y1, Rgb color, double thickness)
    {
        double radius = thickness / 2;
        int left = (int)Math.Floor(Math.Min(x0, x1) - radius - 1), right = (int)Math.Ceiling(Math.Max(x0, x1) + radius + 1);
        int top = (int)Math.Floor(Math.Min(y0, y1) - radius - 1), bottom = (int)Math.Ceiling(Math.Max(y0, y1) + radius + 1);
        double dx = x1 - x0, dy = y1 - y0, lengthSquared = dx * dx + dy * dy;
        for (int y = Math.Max(top, 0); y <= Math.Min(bottom, Height - 1); y++)
        {
            for (int x = Math.Max(left, 0); x <= Math.Min(right, Width - 1); x++)
            {
                double t = lengthSquared == 0 ? 0 : Math.Clamp(((x - x0) * dx + (y - y0) * dy) / lengthSquared, 0, 1);
                double ex = x - (x0 + t * dx), ey = y - (y0 + t * dy);
                // Coverage falls from 1 to 0 over the pixel at the line's edge.
                Blend(x, y, color, radius + 0.5 - Math.Sqrt(ex * ex + ey * ey));
            }
        }
    }

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>), each font pixel <paramref name="scale"/> pixels square.</summary>
    public void Text(int x, int y, string text, Rgb color, int scale = 1) => DrawText(x, y, text, color, scale, vertical: false);

    /// <summary>Draws <paramref name="text"/> reading upwards (turned a quarter anticlockwise), its bottom-left corner at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public void TextUpwards(int x, int y, string text, Rgb color, int scale = 1) => DrawText(x, y, text, color, scale, vertical: true);

    private void DrawText(int x, int y, string text, Rgb color, int scale, bool vertical)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = 0; i < text.Length; i++)
        {
            int offset = i * (BitmapFont.GlyphWidth + 1) * scale;
            for (int row = 0; row < BitmapFont.GlyphHeight; row++)
            {
                for (int column = 0; column < BitmapFont.GlyphWidth; column++)
                {
                    if (!BitmapFont.IsSet(text[i], column, row)) continue;
                    int along = offset + column * scale, across = (row + BitmapFont.Descent(text[i])) * scale;
                    if (vertical) FillRectangle(x + across, y - along - scale, scale, scale, color);
                    else FillRectangle(x + along, y + across, scale, scale, color);
                }
            }
        }
    }

    /// <summary>Writes the canvas as an 8-bit RGB PNG.</summary>
    public void SavePng(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8; // bits per channel
        header[9] = 2; // RGB
        WriteChunk(stream, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                int stride = Width * 3;
                for (int y = 0; y < Height; y++)
                {
                    zlib.WriteByte(0); // filter: none
                    zlib.Write(_pixels, y * stride, stride);
                }
            }
            WriteChunk(stream, "IDAT", compressed.ToArray());
        }
        WriteChunk(stream, "IEND", []);
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        stream.Write(number);
        var typeAndData = new byte[4 + data.Length];
        for (int i = 0; i < 4; i++) typeAndData[i] = (byte)type[i];
        data.CopyTo(typeAndData, 4);
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32.HashToUInt32(typeAndData));
        stream.Write(number);
    }
}

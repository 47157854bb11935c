using MyTorch.IO;
using StbImageSharp;

namespace MyTorch.Cli.Training;

/// <summary>
/// PNG and JPEG images as inputs of a model trained on 28x28 digits (MNIST, Fashion-MNIST): each image becomes one
/// row of 784 pixel values 0-255, as the IDX files give them.
/// </summary>
/// <remarks>
/// The conversion, in order: decoded to grey (luma 0.299 R + 0.587 G + 0.114 B, rounded as stb_image does), transparent
/// parts laid over white paper; turned light-on-dark like MNIST when the border is mostly light (a dark digit drawn on
/// white); padded to a square with the background; averaged down (or up) to 28x28, each output pixel the mean of the
/// area it covers. An image already 28x28 and light on dark is taken as it is, pixel for pixel.
/// </remarks>
public static class ImageInput
{
    /// <summary>The side of the images the digit models are trained on.</summary>
    public const int Side = 28;

    /// <summary>The largest image read (4096x4096): far more than a digit needs.</summary>
    private const long MaxPixels = 4096L * 4096;

    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Whether <paramref name="path"/> names a PNG or JPEG file by its extension.</summary>
    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>The image files of a folder, in ordinal name order.</summary>
    public static string[] ImagesIn(string folder) =>
        Directory.EnumerateFiles(folder).Where(IsImage).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The images as rows of a (count, 784) float32 tensor of pixel values 0-255.</summary>
    /// <exception cref="DataFormatException">A file is not a PNG or JPEG this reader can decode.</exception>
    public static Tensor Read(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var values = new float[paths.Count * Side * Side];
        for (int i = 0; i < paths.Count; i++) Pixels(paths[i]).CopyTo(values, i * Side * Side);
        return Tensor.FromArray(values, [paths.Count, Side * Side]);
    }

    /// <summary>One image as 784 values, converted as the class remarks say.</summary>
    public static float[] Pixels(string path)
    {
        ImageResult image;
        try
        {
            using var stream = File.OpenRead(path);
            // The header's size first: a small file must not make the decoder allocate gigabytes.
            if (ImageInfo.FromStream(stream) is not { } info)
                throw new InvalidOperationException("unknown image format");
            if (info.Width < 1 || info.Height < 1 || (long)info.Width * info.Height > MaxPixels)
                throw new DataFormatException(path, "the image size is out of range", expected: "1 to 16,777,216 pixels", found: $"{info.Width}x{info.Height}");
            stream.Position = 0;
            image = ImageResult.FromStream(stream, ColorComponents.GreyAlpha);
        }
        catch (Exception error) when (error is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NotSupportedException or OverflowException)
        {
            throw new DataFormatException(path, $"it is not a PNG or JPEG image that can be read ({MessageText.Clean(error.Message, 120)})", expected: "a PNG or JPEG image");
        }
        int width = image.Width, height = image.Height;
        var grey = new float[width * height];
        for (int i = 0; i < grey.Length; i++)
        {
            float alpha = image.Data[2 * i + 1] / 255f;
            grey[i] = image.Data[2 * i] * alpha + 255 * (1 - alpha); // over white paper
        }
        if (BorderMean(grey, width, height) > 127.5f)
            for (int i = 0; i < grey.Length; i++) grey[i] = 255 - grey[i];
        int side = Math.Max(width, height);
        var square = new float[side * side]; // padded with the (now dark) background, the image centred
        int left = (side - width) / 2, top = (side - height) / 2;
        for (int y = 0; y < height; y++) Array.Copy(grey, y * width, square, (y + top) * side + left, width);
        return side == Side ? square : Resize(square, side, Side);
    }

    private static float BorderMean(float[] grey, int width, int height)
    {
        double sum = 0;
        int count = 0;
        for (int x = 0; x < width; x++) { sum += grey[x] + grey[(height - 1) * width + x]; count += 2; }
        for (int y = 1; y < height - 1; y++) { sum += grey[y * width] + grey[y * width + width - 1]; count += 2; }
        return (float)(sum / count);
    }

    /// <summary>A square image of side <paramref name="from"/> averaged to side <paramref name="to"/>, rows then columns.</summary>
    private static float[] Resize(float[] image, int from, int to)
    {
        var rows = new float[from * to];
        for (int y = 0; y < from; y++) Resample(image.AsSpan(y * from, from), rows.AsSpan(y * to, to));
        var result = new float[to * to];
        for (int x = 0; x < to; x++) ResampleColumn(rows, result, x, from, to);
        return result;
    }

    private static void ResampleColumn(float[] rows, float[] result, int x, int from, int to)
    {
        var column = new float[from];
        for (int y = 0; y < from; y++) column[y] = rows[y * to + x];
        var resized = new float[to];
        Resample(column, resized);
        for (int y = 0; y < to; y++) result[y * to + x] = resized[y];
    }

    /// <summary>Each output cell is the mean of the input it covers, partly covered input cells weighted by the part.</summary>
    private static void Resample(ReadOnlySpan<float> source, Span<float> target)
    {
        double scale = (double)source.Length / target.Length;
        for (int t = 0; t < target.Length; t++)
        {
            double start = t * scale, end = (t + 1) * scale, sum = 0;
            for (int s = (int)Math.Floor(start); s < Math.Min(Math.Ceiling(end), source.Length); s++)
                sum += source[s] * (Math.Min(end, s + 1) - Math.Max(start, s));
            target[t] = (float)(sum / (end - start));
        }
    }
}

using System.Diagnostics.CodeAnalysis;

namespace MyTorch.IO;

/// <summary>
/// Loads MNIST-style data sets (MNIST, Fashion-MNIST) from the four standard IDX files, raw or gzip-compressed.
/// A 10,000-digit copy ships in the repository's <c>data/mnist-10k</c> (8,000 train / 2,000 test).
/// </summary>
public static class Mnist
{
    /// <summary>The four file names looked for, each as is or with <c>.gz</c> appended.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>
    /// Reads the training and test splits from <paramref name="directory"/>: images as float32 <c>(n, rows*cols)</c>
    /// (784 for MNIST) with the raw pixel values 0..255, labels as int64 <c>(n)</c> with values 0..9.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the four files is missing (the message lists all four).</exception>
    /// <exception cref="DataFormatException">A file is malformed, not ubyte, image and label counts differ, a label is outside 0..9,
    /// or the test images differ in size from the training images.</exception>
    public static (Tensor TrainImages, Tensor TrainLabels, Tensor TestImages, Tensor TestLabels) Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"MNIST directory '{Path.GetFullPath(directory)}' does not exist; expected it to hold {ListNames()}.");
        string[] paths = new string[FileNames.Count];
        for (int i = 0; i < paths.Length; i++) paths[i] = Find(directory, FileNames[i]);

        var (trainImages, trainLabels, trainSize) = LoadSplit(paths[0], paths[1]);
        var (testImages, testLabels, testSize) = LoadSplit(paths[2], paths[3]);
        if (testSize != trainSize)
            throw new DataFormatException(paths[2], $"the test images are not the size of the training images in '{paths[0]}'", 8,
                expected: $"{trainSize.Rows} x {trainSize.Columns} pixels", found: $"{testSize.Rows} x {testSize.Columns}");
        return (trainImages, trainLabels, testImages, testLabels);
    }

    private static (Tensor Images, Tensor Labels, (int Rows, int Columns) Size) LoadSplit(string imagesPath, string labelsPath)
    {
        var images = Idx.ReadWithHeader(imagesPath, DType.Float32);
        CheckKind(imagesPath, images.Type, images.Tensor.Rank, 3, "(count, rows, columns)");
        var labels = Idx.ReadWithHeader(labelsPath, DType.Int64);
        CheckKind(labelsPath, labels.Type, labels.Tensor.Rank, 1, "(count)");

        int count = images.Tensor.Shape[0];
        (int rows, int columns) = (images.Tensor.Shape[1], images.Tensor.Shape[2]);
        // With no images the sizes are not bounded by the data, so their product may not fit an int.
        long pixels = (long)rows * columns;
        if (pixels > Array.MaxLength)
            throw new DataFormatException(imagesPath, "the images have more pixels than a tensor row can hold", 8,
                expected: $"rows x columns <= {Array.MaxLength}", found: $"{rows} x {columns} = {pixels}");
        if (labels.Tensor.Shape[0] != count)
            throw new DataFormatException(labelsPath, $"the label count does not match the {count} images in '{imagesPath}'", 4,
                expected: $"{count} labels", found: $"{labels.Tensor.Shape[0]} labels");
        long[] values = labels.Tensor.I64;
        for (int i = 0; i < values.Length; i++)
            if ((ulong)values[i] > 9) ThrowBadLabel(labelsPath, labels.HeaderLength + i, labels.Gzip, i, values[i]);

        return (new Tensor(images.Tensor.storage, [count, (int)pixels], DType.Float32), labels.Tensor, (rows, columns));
    }

    private static void CheckKind(string path, IdxType type, int rank, int expectedRank, string layout)
    {
        if (type != IdxType.UByte)
            throw new DataFormatException(path, "MNIST files hold unsigned bytes", 2, expected: "type byte 0x08 (ubyte)", found: type.ToString());
        if (rank != expectedRank)
            throw new DataFormatException(path, "wrong number of dimensions for an MNIST file", 3,
                expected: $"{expectedRank} {layout}", found: $"{rank}");
    }

    [DoesNotReturn]
    private static void ThrowBadLabel(string path, long offset, bool gzip, int index, long value) =>
        throw new DataFormatException(path,
            $"label {index} is out of range" + (gzip ? " (offsets count decompressed bytes)" : ""), offset,
            expected: "a digit 0..9", found: $"{value}");

    private static string Find(string directory, string name)
    {
        string raw = Path.Combine(directory, name);
        if (File.Exists(raw)) return raw;
        if (File.Exists(raw + ".gz")) return raw + ".gz";
        throw new FileNotFoundException(
            $"MNIST file '{name}' (or '{name}.gz') not found in '{Path.GetFullPath(directory)}'; the directory must hold {ListNames()}.",
            raw);
    }

    private static string ListNames() => string.Join(", ", FileNames.Select(n => n + "[.gz]"));
}

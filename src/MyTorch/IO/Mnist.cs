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
    /// <exception cref="DataFormatException">A file is malformed, not ubyte, image and label counts differ, or a label is outside 0..9.</exception>
    public static (Tensor TrainImages, Tensor TrainLabels, Tensor TestImages, Tensor TestLabels) Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"MNIST directory '{Path.GetFullPath(directory)}' does not exist; expected it to hold {ListNames()}.");
        string[] paths = new string[FileNames.Count];
        for (int i = 0; i < paths.Length; i++) paths[i] = Find(directory, FileNames[i]);

        var (trainImages, trainLabels) = LoadSplit(paths[0], paths[1]);
        var (testImages, testLabels) = LoadSplit(paths[2], paths[3]);
        return (trainImages, trainLabels, testImages, testLabels);
    }

    private static (Tensor Images, Tensor Labels) LoadSplit(string imagesPath, string labelsPath)
    {
        var images = Idx.ReadWithHeader(imagesPath, DType.Float32);
        CheckKind(imagesPath, images.Type, images.Tensor.Rank, 3, "(count, rows, columns)");
        var labels = Idx.ReadWithHeader(labelsPath, DType.Int64);
        CheckKind(labelsPath, labels.Type, labels.Tensor.Rank, 1, "(count)");

        int count = images.Tensor.Shape[0];
        if (labels.Tensor.Shape[0] != count)
            throw new DataFormatException(labelsPath, $"the label count does not match the {count} images in '{imagesPath}'", 4,
                expected: $"{count} labels", found: $"{labels.Tensor.Shape[0]} labels");
        long[] values = labels.Tensor.I64;
        for (int i = 0; i < values.Length; i++)
            if ((ulong)values[i] > 9) ThrowBadLabel(labelsPath, labels.HeaderLength + i, labels.Gzip, i, values[i]);

        int pixels = images.Tensor.Shape[1] * images.Tensor.Shape[2];
        return (new Tensor(images.Tensor.storage, [count, pixels], DType.Float32), labels.Tensor);
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

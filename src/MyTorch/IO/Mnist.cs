using System.Diagnostics.CodeAnalysis;
using MyTorch.Data;
using MyTorch.Kernels;

namespace MyTorch.IO;

/// <summary>
/// Loads MNIST-style data sets (MNIST, Fashion-MNIST) from the four standard IDX files, raw or gzip-compressed.
/// A 10,000-digit copy ships in the repository's <c>data/mnist-10k</c>: files of 8,000 training and 2,000 test
/// digits, which the CLI splits 7,200 train / 800 validation / 2,000 test (<see cref="LoadSplit"/> with its default
/// validation fraction of 0.1).
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
    /// <exception cref="UnauthorizedAccessException">The file exists but this process may not read it.</exception>
    /// <exception cref="DataFormatException">A file is malformed, not ubyte, image and label counts differ, a label is outside 0..9,
    /// the images have no pixels, or the test images differ in size from the training images; a gzip file fails its
    /// CRC32 or length check or decompresses past <see cref="Idx.MaxDecompressedBytes"/>; a file is not a regular file.</exception>
    public static (Tensor TrainImages, Tensor TrainLabels, Tensor TestImages, Tensor TestLabels) Load(string directory)
    {
        var paths = Paths(directory);
        var (train, test) = ReadPairs(paths, trainImages: null);
        CheckSameSize(paths, train.Size, test.Size);
        return (train.Images!, train.Labels, test.Images!, test.Labels);
    }

    /// <summary>
    /// Reads the four files like <see cref="Load"/> and splits the training images into a training and a validation
    /// set exactly as <see cref="DatasetSplit.TrainValidation"/> splits <see cref="Load"/>'s training set with the same
    /// <paramref name="validationFraction"/> and <paramref name="generator"/> state: the same rows, in the same order.
    /// Each pixel is converted to float32 once, as it is read, straight into its split: the whole training set is never
    /// held beside the two splits, neither as float32 nor as bytes (for Fashion-MNIST that is 188 MB less at the peak).
    /// <paramref name="generator"/> is drawn from once the training images file's header has been read, so also when a
    /// later check of the files fails.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validationFraction"/> is not in [0, 1).</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the four files is missing (the message lists all four).</exception>
    /// <exception cref="UnauthorizedAccessException">The file exists but this process may not read it.</exception>
    /// <exception cref="DataFormatException">As for <see cref="Load"/>.</exception>
    public static (TensorDataset Train, TensorDataset Validation, TensorDataset Test) LoadSplit(string directory, double validationFraction, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        // Checks the fraction before tens of megabytes are read for nothing.
        DatasetSplit.ValidationCount(0, validationFraction);
        var paths = Paths(directory);
        var split = new SplitSink(validationFraction, generator);
        var (train, test) = ReadPairs(paths, split);
        CheckSameSize(paths, train.Size, test.Size);
        return (new TensorDataset(split.TrainImages!, train.Labels.Rows(split.TrainRows)),
            new TensorDataset(split.ValidationImages!, train.Labels.Rows(split.ValidationRows)),
            new TensorDataset(test.Images!, test.Labels));
    }

    /// <summary>
    /// The training images, converted as they are read, each row straight into its place in the training or the
    /// validation split: the permutation is drawn as soon as the header gives the image count. Data that is not rank-3
    /// ubyte images is read (so every check of the file runs) and dropped, for <see cref="ReadPair"/> to reject.
    /// </summary>
    private sealed class SplitSink(double validationFraction, Generator generator) : Idx.Sink
    {
        private int rowLength;
        private int[] place = [];   // source row -> its training row, or the complement of its validation row
        private byte[] partial = [];   // the start of a row that continues in the next chunk

        public int[] TrainRows { get; private set; } = [];

        public int[] ValidationRows { get; private set; } = [];

        public Tensor? TrainImages { get; private set; }

        public Tensor? ValidationImages { get; private set; }

        public override long Bytes(long count, int elementSize) => count * sizeof(float);

        protected override void Create(int[] shape, IdxType type, long payload)
        {
            if (type != IdxType.UByte || shape.Length != 3 || (long)shape[1] * shape[2] > Array.MaxLength) return;
            rowLength = shape[1] * shape[2];
            (TrainRows, ValidationRows) = DatasetSplit.TrainValidationIndices(shape[0], validationFraction, generator);
            place = new int[shape[0]];
            for (int i = 0; i < TrainRows.Length; i++) place[TrainRows[i]] = i;
            for (int i = 0; i < ValidationRows.Length; i++) place[ValidationRows[i]] = ~i;
            TrainImages = ReaderMemory.Empty(Path, [TrainRows.Length, rowLength], DType.Float32, "Mnist.LoadSplit");
            ValidationImages = ReaderMemory.Empty(Path, [ValidationRows.Length, rowLength], DType.Float32, "Mnist.LoadSplit");
            partial = new byte[rowLength];
        }

        protected override void Store(long offset, Span<byte> chunk)
        {
            if (place.Length == 0 || rowLength == 0) return;
            long row = offset / rowLength;
            int within = (int)(offset % rowLength);
            int next = 0;
            if (within > 0)
            {
                // The rest of a row begun in an earlier chunk (or, for rows longer than a chunk, more of it).
                next = Math.Min(rowLength - within, chunk.Length);
                chunk[..next].CopyTo(partial.AsSpan(within));
                if (within + next < rowLength) return;
                Put(row++, partial);
            }
            for (; next + rowLength <= chunk.Length; next += rowLength) Put(row++, chunk.Slice(next, rowLength));
            chunk[next..].CopyTo(partial);
        }

        private void Put(long row, ReadOnlySpan<byte> pixels)
        {
            int at = place[row];
            var (images, index) = at >= 0 ? (TrainImages!, at) : (ValidationImages!, ~at);
            DataKernels.WidenToSingle(pixels, images.F32.AsSpan((int)((long)index * rowLength), rowLength));
        }
    }

    // Below this many bytes a second thread costs more than it saves (and the fuzz tests' allocation accounting,
    // which counts the current thread, sees everything).
    private const long ConcurrentBytes = 4L << 20;

    /// <summary>Whether work on this many bytes is worth a second thread: it is large, and the kernels may use more than one.</summary>
    private static bool UseSecondThread(long bytes) => bytes >= ConcurrentBytes && KernelOptions.MaxThreads > 1;

    /// <summary>
    /// Reads and checks the training pair and the test pair. The test pair is read on another thread while this one
    /// decompresses the training images (when they are large); errors come as a sequential read gives them, the
    /// training pair's first.
    /// </summary>
    private static (Pair Train, Pair Test) ReadPairs(string[] paths, Idx.Sink? trainImages)
    {
        if (!UseSecondThread(new FileInfo(paths[0]).Length))
            return (ReadPair(paths[0], paths[1], trainImages), ReadPair(paths[2], paths[3], null));
        var test = Task.Run(() => ReadPair(paths[2], paths[3], null));
        Pair train;
        try
        {
            train = ReadPair(paths[0], paths[1], trainImages);
        }
        catch
        {
            // The test pair's own error, if any, would come second and is dropped; its thread must not outlive this call.
            Task.WaitAny(test);
            _ = test.Exception;
            throw;
        }
        return (train, test.GetAwaiter().GetResult());
    }

    private static string[] Paths(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"MNIST directory '{Path.GetFullPath(directory)}' does not exist; expected it to hold {ListNames()}.");
        string[] paths = new string[FileNames.Count];
        for (int i = 0; i < paths.Length; i++) paths[i] = Find(directory, FileNames[i]);
        return paths;
    }

    private static void CheckSameSize(string[] paths, (int Rows, int Columns) trainSize, (int Rows, int Columns) testSize)
    {
        if (testSize != trainSize)
            throw new DataFormatException(paths[2], $"the test images are not the size of the training images in '{paths[0]}'", 8,
                expected: $"{trainSize.Rows} x {trainSize.Columns} pixels", found: $"{testSize.Rows} x {testSize.Columns}");
    }

    /// <summary>An images file and its labels file, read and checked; the images are null when a sink took them.</summary>
    private readonly record struct Pair(Tensor? Images, Tensor Labels, (int Rows, int Columns) Size);

    /// <summary>
    /// Reads and checks one images file and its labels file. The images come back as a float32 (count, rows*cols)
    /// tensor, or go to <paramref name="imagesSink"/> when there is one.
    /// </summary>
    private static Pair ReadPair(string imagesPath, string labelsPath, Idx.Sink? imagesSink)
    {
        // The labels first: they are small, and their count bounds what the images file may claim, so a small
        // gzip file claiming millions of images is refused at its header instead of being decompressed.
        var labels = Idx.ReadWithHeader(labelsPath, DType.Int64);
        CheckKind(labelsPath, labels.Type, labels.Tensor.Rank, 1, "(count)");
        var expected = (labels.Tensor.Shape[0], labelsPath);
        Tensor? images = null;
        int[] shape;
        IdxType type;
        if (imagesSink is not null)
        {
            imagesSink.ExpectedImages = expected;
            (shape, type, _, _) = Idx.ReadInto(imagesPath, imagesSink);
        }
        else
        {
            var read = Idx.ReadWithHeader(imagesPath, DType.Float32, expected);
            (images, shape, type) = (read.Tensor, read.Tensor.Shape.ToArray(), read.Type);
        }
        CheckKind(imagesPath, type, shape.Length, 3, "(count, rows, columns)");

        int count = shape[0];
        (int rows, int columns) = (shape[1], shape[2]);
        // With no images the sizes are not bounded by the data, so their product may not fit an int.
        long rowLength = (long)rows * columns;
        if (rowLength > Array.MaxLength)
            throw new DataFormatException(imagesPath, "the images have more pixels than a tensor row can hold", 8,
                expected: $"rows x columns <= {Array.MaxLength}", found: $"{rows} x {columns} = {rowLength}");
        if (rowLength == 0 && count > 0)
            throw new DataFormatException(imagesPath, "the images have no pixels", 8,
                expected: "rows and columns of at least 1", found: $"{rows} x {columns}");
        if (labels.Tensor.Shape[0] != count)
            throw new DataFormatException(labelsPath, $"the label count does not match the {count} images in '{imagesPath}'", 4,
                expected: $"{count} labels", found: $"{labels.Tensor.Shape[0]} labels");
        long[] values = labels.Tensor.I64;
        for (int i = 0; i < values.Length; i++)
            if ((ulong)values[i] > 9) ThrowBadLabel(labelsPath, labels.HeaderLength + i, labels.Gzip, i, values[i]);

        if (images is not null) images = new Tensor(images.storage, [count, (int)rowLength], DType.Float32);
        return new Pair(images, labels.Tensor, (rows, columns));
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

using System.Collections;

namespace MyTorch.Data;

/// <summary>
/// Mini-batches of a data set (a <see cref="TensorDataset"/> in memory, or any <see cref="IDataset"/>), as (inputs,
/// targets) pairs of row copies, for one epoch per enumeration. With shuffling, each enumeration draws a fresh permutation from <see cref="Generator"/>, so a
/// generator seeded the same way gives the same batches epoch after epoch, and successive epochs differ.
/// </summary>
/// <example><code>foreach (var (x, y) in new DataLoader(train, 64, shuffle: true, generator: new Generator(0))) { ... }</code></example>
#pragma warning disable CA1710 // "DataLoader" is the name PyTorch users know; it is not a collection.
public sealed class DataLoader : IEnumerable<(Tensor Inputs, Tensor Targets)>
#pragma warning restore CA1710
{
    /// <summary>
    /// Batches <paramref name="data"/> in groups of <paramref name="batchSize"/> rows; the last batch is smaller
    /// unless <paramref name="dropLast"/> drops it. Shuffling uses <paramref name="generator"/>, or <see cref="MyTorch.Generator.Default"/>.
    /// </summary>
    public DataLoader(IDataset data, int batchSize, bool shuffle = false, bool dropLast = false, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"DataLoader: batchSize must be positive, got {batchSize}.");
        Dataset = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Generator = generator ?? Generator.Default;
    }

    /// <summary>The data set the batches come from.</summary>
    public IDataset Dataset { get; }

    /// <summary>The number of rows in every batch but possibly the last.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the rows in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a final batch smaller than <see cref="BatchSize"/> is left out.</summary>
    public bool DropLast { get; }

    /// <summary>The generator that draws each epoch's permutation when <see cref="Shuffle"/> is on.</summary>
    public Generator Generator { get; }

    /// <summary>
    /// Whether every batch is copied into the same pair of tensors (one pair per batch size) instead of new ones. A batch
    /// then stays valid only until the next one is fetched, which is how a training loop uses it, and an epoch
    /// allocates nothing per batch (for a <see cref="TensorDataset"/>; another data set's batches are copied into the
    /// pair from <see cref="IDataset.GetBatch"/>). Off by default: each batch is a fresh copy that may be kept.
    /// </summary>
    public bool ReuseBuffers { get; init; }

    /// <summary>The number of batches in one epoch.</summary>
    public int BatchCount
    {
        get
        {
            int full = Dataset.Count / BatchSize;
            return DropLast || Dataset.Count % BatchSize == 0 ? full : full + 1;
        }
    }

    /// <summary>Starts an epoch: draws the row order now (a permutation when shuffling) and yields its batches.</summary>
    public IEnumerator<(Tensor Inputs, Tensor Targets)> GetEnumerator()
    {
        int[] order = Shuffle ? Generator.Permutation(Dataset.Count) : Enumerable.Range(0, Dataset.Count).ToArray();
        return (ReuseBuffers ? ReusedBatches(order, BatchCount) : Batches(order, BatchCount)).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<(Tensor Inputs, Tensor Targets)> Batches(int[] order, int batchCount)
    {
        for (int batch = 0; batch < batchCount; batch++)
        {
            int start = batch * BatchSize;
            yield return Read(order, start, Math.Min(BatchSize, order.Length - start));
        }
    }

    private IEnumerable<(Tensor Inputs, Tensor Targets)> ReusedBatches(int[] order, int batchCount)
    {
        for (int batch = 0; batch < batchCount; batch++)
        {
            int start = batch * BatchSize;
            int count = Math.Min(BatchSize, order.Length - start);
            if (Dataset is TensorDataset tensors)
            {
                var (inputs, targets) = Buffers(tensors, count);
                tensors.Inputs.CopyRowsTo(order, start, count, inputs);
                tensors.Targets.CopyRowsTo(order, start, count, targets);
                yield return (inputs, targets);
            }
            else
            {
                var rows = Read(order, start, count);
                var (inputs, targets) = Buffers(new TensorDataset(rows.Inputs, rows.Targets), count);
                using (Autograd.NoGrad())
                {
                    inputs.CopyFrom(rows.Inputs);
                    targets.CopyFrom(rows.Targets);
                }
                yield return (inputs, targets);
            }
        }
    }

    private (Tensor Inputs, Tensor Targets) Read(int[] order, int start, int count) => Dataset.GetBatch(order.AsSpan(start, count));

    private (Tensor Inputs, Tensor Targets)? reusedFull, reusedLast;

    /// <summary>The reused pair for batches of <paramref name="count"/> rows: the full size or the epoch's last, smaller one.</summary>
    private (Tensor Inputs, Tensor Targets) Buffers(TensorDataset like, int count)
    {
        if (reusedFull is { } full && full.Inputs.Shape[0] == count) return full;
        if (reusedLast is { } last && last.Inputs.Shape[0] == count) return last;
        static Tensor Like(Tensor source, int rows)
        {
            int[] shape = source.ShapeArray.ToArray();
            shape[0] = rows;
            return Tensor.Empty(shape, source.DType);
        }
        var buffers = (Like(like.Inputs, count), Like(like.Targets, count));
        if (count == BatchSize) reusedFull = buffers;
        else reusedLast = buffers;
        return buffers;
    }
}

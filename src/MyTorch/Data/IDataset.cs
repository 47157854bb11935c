namespace MyTorch.Data;

/// <summary>
/// A data set a <see cref="DataLoader"/> can batch (PyTorch's map-style <c>Dataset</c>): a count of examples and a
/// getter for one of them. The examples need not be in memory: an implementation may read a file or decode an image
/// in <see cref="GetItem"/>. <see cref="TensorDataset"/> is the in-memory one.
/// </summary>
/// <example><code>
/// sealed class Squares : IDataset
/// {
///     public int Count => 100;
///     public (Tensor Input, Tensor Target) GetItem(int index) =>
///         (Tensor.FromArray(new float[] { index }), Tensor.FromArray(new float[] { index * index }));
/// }
/// </code></example>
public interface IDataset
{
    /// <summary>The number of examples.</summary>
    int Count { get; }

    /// <summary>
    /// Example <paramref name="index"/> (0 to <see cref="Count"/> - 1): its input and its target, without a batch
    /// dimension (a 0-d target for a class label). Every example of a data set has the same shapes and dtypes.
    /// </summary>
    (Tensor Input, Tensor Target) GetItem(int index);

    /// <summary>
    /// The examples listed in <paramref name="indices"/>, stacked along a new first dimension. The default gets each
    /// example with <see cref="GetItem"/> and stacks them; a data set that can read a batch at once overrides it.
    /// </summary>
    (Tensor Inputs, Tensor Targets) GetBatch(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty) throw new ArgumentException("IDataset.GetBatch: a batch needs at least one index.", nameof(indices));
        var inputs = new Tensor[indices.Length];
        var targets = new Tensor[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"IDataset.GetBatch: index {indices[i]} is out of range for a data set of {Count} examples.");
            (inputs[i], targets[i]) = GetItem(indices[i]);
        }
        return (Tensor.Stack(inputs), Tensor.Stack(targets));
    }
}

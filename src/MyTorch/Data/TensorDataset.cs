using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using MyTorch.Kernels;

namespace MyTorch.Data;

/// <summary>
/// A data set held as two tensors whose first dimension counts the examples: row <c>i</c> of
/// <see cref="Inputs"/> goes with row <c>i</c> of <see cref="Targets"/> (PyTorch's <c>TensorDataset</c>).
/// </summary>
/// <remarks>The tensors are kept as given, not copied; <see cref="Subset"/> and <see cref="DataLoader"/> batches copy rows.</remarks>
public sealed class TensorDataset : IDataset
{
    /// <summary>Pairs <paramref name="inputs"/> (n, ...) with <paramref name="targets"/> (n, ...); both first dimensions must be n.</summary>
    public TensorDataset(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Rank == 0 || targets.Rank == 0 || inputs.Shape[0] != targets.Shape[0])
            ThrowMismatch(inputs, targets);
        Inputs = inputs;
        Targets = targets;
    }

    /// <summary>The inputs, one example per row of dimension 0.</summary>
    public Tensor Inputs { get; }

    /// <summary>The targets, one example per row of dimension 0.</summary>
    public Tensor Targets { get; }

    /// <summary>The number of examples (the size of dimension 0).</summary>
    public int Count => Inputs.Shape[0];

    /// <summary>Row <paramref name="index"/> of the inputs and of the targets (copies, without the first dimension).</summary>
    public (Tensor Input, Tensor Target) GetItem(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"TensorDataset.GetItem: index {index} is out of range for a data set of {Count} examples.");
        return (Inputs.Narrow(0, index, 1).Clone().Squeeze(0), Targets.Narrow(0, index, 1).Clone().Squeeze(0));
    }

    /// <summary>The rows listed in <paramref name="indices"/>, copied, in that order.</summary>
    public (Tensor Inputs, Tensor Targets) GetBatch(ReadOnlySpan<int> indices)
    {
        var rows = new long[indices.Length];
        for (int i = 0; i < rows.Length; i++) rows[i] = indices[i];
        var index = Tensor.FromArray(rows);
        return (Inputs.IndexSelect(0, index), Targets.IndexSelect(0, index));
    }

    /// <summary>A new data set holding copies of the rows listed in <paramref name="indices"/>, in that order (repeats allowed).</summary>
    public TensorDataset Subset(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return new TensorDataset(Inputs.Rows(indices), Targets.Rows(indices));
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the first row (0-based), the tensor and the column that
    /// holds NaN or infinity, so bad data is caught before it turns the loss into NaN. Returns this data set.
    /// </summary>
    public TensorDataset CheckFinite()
    {
        var (inputRow, inputColumn) = FirstNonFinite(Inputs);
        var (targetRow, targetColumn) = FirstNonFinite(Targets);
        if (inputRow < 0 && targetRow < 0) return this;
        if (inputRow >= 0 && (targetRow < 0 || inputRow <= targetRow))
            ThrowNonFinite("inputs", Inputs, inputRow, inputColumn);
        ThrowNonFinite("targets", Targets, targetRow, targetColumn);
        return this;
    }

    /// <summary>The row and the column within the row (flattened) of the first NaN or infinity; (-1, -1) when all are finite.</summary>
    private static (int Row, int Column) FirstNonFinite(Tensor tensor)
    {
        int flat = tensor.DType switch
        {
            DType.Float32 => DataKernels.IndexOfNonFinite<float>(tensor.F32),
            DType.Float64 => DataKernels.IndexOfNonFinite<double>(tensor.F64),
            _ => -1,
        };
        if (flat < 0) return (-1, -1);
        int rowWidth = tensor.Count / tensor.Shape[0];
        return (flat / rowWidth, flat % rowWidth);
    }

    [DoesNotReturn]
    private void ThrowNonFinite(string which, Tensor tensor, int row, int column)
    {
        double value = tensor.GetDouble(row * (tensor.Count / tensor.Shape[0]) + column);
        string kind = double.IsNaN(value) ? "NaN" : value > 0 ? "+infinity" : "-infinity";
        string where = string.Create(CultureInfo.InvariantCulture, $"column {column}");
        if (tensor.Rank > 2)
        {
            // Rows of images and the like: also give the position inside the row's own shape.
            var rowShape = tensor.Shape[1..].ToArray();
            var position = new int[rowShape.Length];
            for (int d = rowShape.Length - 1, rest = column; d >= 0; d--)
            {
                position[d] = rest % rowShape[d];
                rest /= rowShape[d];
            }
            where += $" (position [{string.Join(", ", position)}] of a row shaped {Shapes.Format(rowShape)})";
        }
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"TensorDataset.CheckFinite: row {row} (0-based) of the {which} holds {kind} at {where}; " +
            $"inputs {Shapes.Format(Inputs.Shape)}, targets {Shapes.Format(Targets.Shape)}. Fix or drop that row before training."));
    }

    [DoesNotReturn]
    private static void ThrowMismatch(Tensor inputs, Tensor targets) =>
        throw new TensorShapeException(
            $"TensorDataset: inputs {Shapes.Format(inputs.Shape)} and targets {Shapes.Format(targets.Shape)} must both have a " +
            "first dimension, of the same size (one row per example).");
}

using System.Globalization;

namespace MyTorch.Data;

/// <summary>Random splits of a data set by a seeded permutation, so the same generator state gives the same split.</summary>
public static class DatasetSplit
{
    /// <summary>
    /// Splits <paramref name="data"/> into disjoint training and validation sets: one permutation is drawn from
    /// <paramref name="generator"/>, its first rows go to training and the last
    /// <see cref="ValidationCount"/>(n, <paramref name="validationFraction"/>) rows to validation.
    /// A fraction of 0 gives an empty validation set.
    /// </summary>
    public static (TensorDataset Train, TensorDataset Validation) TrainValidation(TensorDataset data, double validationFraction, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (train, validation) = TrainValidationIndices(data.Count, validationFraction, generator);
        return (data.Subset(train), data.Subset(validation));
    }

    /// <summary>The row indices of <see cref="TrainValidation"/>'s two sets for a data set of <paramref name="count"/> rows.</summary>
    public static (int[] Train, int[] Validation) TrainValidationIndices(int count, double validationFraction, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        int validationCount = ValidationCount(count, validationFraction);
        var order = generator.Permutation(count);
        return (order[..(count - validationCount)], order[(count - validationCount)..]);
    }

    /// <summary>
    /// How many of <paramref name="count"/> rows a validation fraction in [0, 1) takes: count × fraction rounded
    /// to the nearest integer (halves away from zero), but never all rows, so training keeps at least one.
    /// </summary>
    public static int ValidationCount(int count, double validationFraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction,
                string.Create(CultureInfo.InvariantCulture, $"DatasetSplit: validationFraction must be in [0, 1), got {validationFraction}."));
        int rounded = (int)Math.Round(count * validationFraction, MidpointRounding.AwayFromZero);
        return Math.Min(rounded, Math.Max(count - 1, 0));
    }
}

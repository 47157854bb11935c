using System.Diagnostics.CodeAnalysis;
using MyTorch.Kernels;
using MyTorch.NN;

namespace MyTorch.Data;

/// <summary>
/// Float64 statistics of a data tensor over its rows (dimension 0), or over all of its elements, shared by the
/// target scalers and <see cref="InputNormalizer"/>, with the checks and state-dict reading they have in common.
/// </summary>
internal sealed class ColumnStatistics
{
    private ColumnStatistics(Tensor mean, Tensor std, Tensor min, Tensor max) => (Mean, Std, Min, Max) = (mean, std, min, max);

    /// <summary>The mean of each column.</summary>
    public Tensor Mean { get; }

    /// <summary>The population standard deviation (divided by n, not n - 1) of each column.</summary>
    public Tensor Std { get; }

    /// <summary>The smallest value of each column.</summary>
    public Tensor Min { get; }

    /// <summary>The largest value of each column.</summary>
    public Tensor Max { get; }

    /// <summary>
    /// Statistics of <paramref name="data"/> over dimension 0 (shape data.Shape[1..]) when <paramref name="perColumn"/>,
    /// else over every element (0-d). The data must have passed <see cref="Validate"/>.
    /// </summary>
    public static ColumnStatistics Compute(Tensor data, bool perColumn) =>
        UsesMoments(data, perColumn) ? ComputeWithMoments(data, perColumn).Statistics : ComputeWithOps(data, perColumn);

    /// <summary>
    /// <see cref="Validate"/> then <see cref="Compute"/>, with the same exceptions, but for float data the finiteness
    /// check rides on the statistics: a NaN or infinity makes its column's sum NaN or infinite, so the elements are
    /// looked at one by one only when a sum is not finite. That is one pass over the data fewer.
    /// </summary>
    public static ColumnStatistics ComputeValidated(Tensor data, bool perColumn, string op, string paramName)
    {
        ValidateShape(data, op, paramName);
        if (!UsesMoments(data, perColumn))
        {
            ValidateFinite(data, op, paramName);
            return ComputeWithOps(data, perColumn);
        }
        var (statistics, sumsFinite) = ComputeWithMoments(data, perColumn);
        // Float64 sums can also overflow with finite data; then the elements are fine and so are the statistics.
        if (!sumsFinite) ValidateFinite(data, op, paramName);
        return statistics;
    }

    // A single column (a regression target) is small, and the ops sum it in TensorPrimitives' order, which a saved
    // scaler's statistics keep to the last bit; int64 and empty data keep the ops' conversions and errors.
    private static bool UsesMoments(Tensor data, bool perColumn) =>
        data.Count > 0 && data.DType.IsFloatingPoint() && !(perColumn && data.Count == data.Shape[0]);

    /// <summary>
    /// Float data read where it lies, in two passes (DataKernels.Moments or ColumnMoments): the op-by-op way makes a
    /// float64 copy and (x - mean) and (x - mean)^2 tensors, 1.1 GB and a second for Fashion-MNIST's 60,000 images.
    /// </summary>
    private static (ColumnStatistics Statistics, bool SumsFinite) ComputeWithMoments(Tensor data, bool perColumn)
    {
        var shape = perColumn ? data.Shape[1..].ToArray() : [];
        int n = perColumn ? data.Shape[0] : data.Count;
        int columns = data.Count / n;
        double[] sum = new double[columns], min = new double[columns], max = new double[columns], squares = new double[columns];
        if (perColumn)
        {
            if (data.DType == DType.Float32) DataKernels.ColumnMoments<float>(data.F32, sum, min, max, squares);
            else DataKernels.ColumnMoments<double>(data.F64, sum, min, max, squares);
        }
        else
        {
            (sum[0], min[0], max[0], squares[0]) = data.DType == DType.Float32
                ? DataKernels.Moments(data.F32, KernelOptions.MaxThreads)
                : DataKernels.Moments(data.F64, KernelOptions.MaxThreads);
        }
        var mean = new double[columns];
        var std = new double[columns];
        bool sumsFinite = true;
        for (int i = 0; i < columns; i++)
        {
            sumsFinite &= double.IsFinite(sum[i]);
            // As Mean(0) and Var(0, unbiased: false).Sqrt() compute them: the sum over n, the root of the mean square.
            mean[i] = sum[i] / n;
            std[i] = Math.Sqrt(squares[i] / n);
        }
        var minimum = Tensor.FromArray(min, shape);
        var maximum = Tensor.FromArray(max, shape);
        return (new ColumnStatistics(ExactMean(Tensor.FromArray(mean, shape), minimum, maximum), Tensor.FromArray(std, shape), minimum, maximum),
            sumsFinite);
    }

    /// <summary>The op-by-op way: a float64 copy of the data, then reductions over dimension 0.</summary>
    private static ColumnStatistics ComputeWithOps(Tensor data, bool perColumn)
    {
        using (Autograd.NoGrad())
        {
            var x = data.Detach().To(DType.Float64);
            if (!perColumn) x = x.Flatten();
            var min = x.Min(0);
            var max = x.Max(0);
            return new ColumnStatistics(ExactMean(x.Mean(0), min, max), x.Var(0, keepDim: false, unbiased: false).Sqrt(), min, max);
        }
    }

    // A constant column's summed mean can miss its value by an ulp (three 0.1s average to 0.1 - 1.4e-17);
    // take the value itself so such a column centres to exactly 0.
    private static Tensor ExactMean(Tensor mean, Tensor min, Tensor max)
    {
        var values = mean.ToArray<double>();
        var low = min.ToArray<double>();
        var high = max.ToArray<double>();
        for (int i = 0; i < values.Length; i++)
            if (low[i] == high[i]) values[i] = low[i];
        return Tensor.FromArray(values, mean.Shape.ToArray());
    }

    /// <summary>The standard deviation with every constant column's set to 1, so dividing by it never divides by zero.</summary>
    public Tensor NonZeroStd() => OneWhereConstant(Std.ToArray<double>());

    /// <summary>max - min with every constant column's set to 1, so dividing by it never divides by zero.</summary>
    public Tensor NonZeroRange()
    {
        var min = Min.ToArray<double>();
        var range = Max.ToArray<double>();
        for (int i = 0; i < range.Length; i++) range[i] -= min[i];
        return OneWhereConstant(range);
    }

    // A column is constant when its min equals its max: exact, unlike a computed standard deviation, which
    // rounding can leave at 1e-17 for a column of equal values.
    private Tensor OneWhereConstant(double[] scale)
    {
        var min = Min.ToArray<double>();
        var max = Max.ToArray<double>();
        for (int i = 0; i < scale.Length; i++)
            if (min[i] == max[i]) scale[i] = 1;
        return Tensor.FromArray(scale, Min.Shape.ToArray());
    }

    /// <summary>Checks that <paramref name="data"/> has a first dimension of at least one row and only finite values.</summary>
    public static void Validate(Tensor data, string op, string paramName)
    {
        ValidateShape(data, op, paramName);
        ValidateFinite(data, op, paramName);
    }

    private static void ValidateShape(Tensor data, string op, string paramName)
    {
        if (data.Rank == 0 || data.Shape[0] == 0)
            throw new TensorShapeException(
                $"{op}: needs at least one row of data (shape (n, ...) with n >= 1), got shape {Shapes.Format(data.Shape)}.", paramName);
    }

    private static void ValidateFinite(Tensor data, string op, string paramName)
    {
        if (!data.AllFinite())
            throw new ArgumentException(
                $"{op}: the data of shape {Shapes.Format(data.Shape)} holds NaN or infinity; TensorDataset.CheckFinite names the row.", paramName);
    }

    /// <summary>The tensor itself when it is float32 or float64, else a float32 copy (int64 targets or pixel values).</summary>
    public static Tensor AsFloat(Tensor x) => x.DType.IsFloatingPoint() ? x : x.To(DType.Float32);

    /// <summary>Checks that <paramref name="x"/>'s last dimensions are the fitted statistics' shape, so they broadcast per column.</summary>
    public static void CheckTrailingShape(Tensor x, Tensor statistic, string op)
    {
        var expected = statistic.Shape;
        var actual = x.Shape;
        if (actual.Length < expected.Length || !actual[(actual.Length - expected.Length)..].SequenceEqual(expected))
            throw new TensorShapeException(
                $"{op}: the statistics were fitted with shape {Shapes.Format(expected)} (one value per column), so the tensor's " +
                $"last dimensions must be {Shapes.Format(expected)}; got shape {Shapes.Format(actual)}.", nameof(x));
    }

    /// <summary>A float64 copy of the tensor saved under <paramref name="key"/>, checked to be present and finite.</summary>
    public static Tensor ReadTensor(StateDict state, string key, string owner)
    {
        if (!state.TryGetValue(key, out var saved))
            throw new ArgumentException(
                $"{owner}.FromStateDict: the state dict has no '{key}' tensor (it holds: {string.Join(", ", state.Keys)}).", nameof(state));
        if (!saved.DType.IsFloatingPoint() || !saved.AllFinite())
            throw new ArgumentException(
                $"{owner}.FromStateDict: '{key}' must be a finite float32 or float64 tensor; got {saved.DType.Name()} {Shapes.Format(saved.Shape)}.", nameof(state));
        using (Autograd.NoGrad())
            return saved.Detach().Clone().To(DType.Float64);
    }

    /// <summary>Reads a scale (a standard deviation or a range) and checks it matches its offset's shape and is positive.</summary>
    public static Tensor ReadScale(StateDict state, string key, Tensor offset, string owner)
    {
        var scale = ReadTensor(state, key, owner);
        if (!scale.Shape.SequenceEqual(offset.Shape))
            throw new TensorShapeException(
                $"{owner}.FromStateDict: '{key}' has shape {Shapes.Format(scale.Shape)} but the offset has {Shapes.Format(offset.Shape)}.", nameof(state));
        if (scale.ToArray<double>().Any(v => v <= 0))
            throw new ArgumentException($"{owner}.FromStateDict: every value of '{key}' must be positive (it divides).", nameof(state));
        return scale;
    }

    /// <summary>The metadata value saved under <paramref name="key"/>.</summary>
    public static string ReadMetadata(StateDict state, string key, string owner, string expected)
    {
        if (!state.Metadata.TryGetValue(key, out var value))
            ThrowMissingMetadata(state, key, owner, expected);
        return value;
    }

    [DoesNotReturn]
    private static void ThrowMissingMetadata(StateDict state, string key, string owner, string expected) =>
        throw new ArgumentException(
            $"{owner}.FromStateDict: the state dict has no Metadata[\"{key}\"] (expected {expected}).", nameof(state));
}

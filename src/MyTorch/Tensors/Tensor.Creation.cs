namespace MyTorch;

public sealed partial class Tensor
{
    /// <summary>An uninitialized tensor; every caller overwrites all of it.</summary>
    internal static Tensor Empty(int[] shape, DType dtype, string op = "tensor")
    {
        int count = Shapes.Count(shape, op);
        Array storage = dtype switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(count),
            DType.Float64 => GC.AllocateUninitializedArray<double>(count),
            DType.Int64 => GC.AllocateUninitializedArray<long>(count),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
        };
        return new Tensor(storage, shape, dtype);
    }

    internal static Tensor EmptyLike(Tensor like) => Empty((int[])like.shape.Clone(), like.DType);

    /// <summary>A tensor of zeros. Example: <c>Tensor.Zeros([2, 3])</c>.</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full(shape, 0, dtype, requiresGrad);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full(shape, 1, dtype, requiresGrad);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var result = Empty((int[])shape.Clone(), dtype, "Full");
        result.FillValues(value);
        result.RequiresGrad = requiresGrad;
        return result;
    }

    /// <summary>Zeros with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.shape, like.DType);

    /// <summary>Ones with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.shape, like.DType);

    /// <summary>A 0-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full([], value, dtype, requiresGrad);

    /// <summary>A float32 tensor copied from <paramref name="data"/>; <paramref name="shape"/> defaults to 1-D.</summary>
    public static Tensor FromArray(float[] data, int[]? shape = null, bool requiresGrad = false) =>
        FromData(data, shape, DType.Float32, requiresGrad);

    /// <summary>A float64 tensor copied from <paramref name="data"/>; <paramref name="shape"/> defaults to 1-D.</summary>
    public static Tensor FromArray(double[] data, int[]? shape = null, bool requiresGrad = false) =>
        FromData(data, shape, DType.Float64, requiresGrad);

    /// <summary>An int64 tensor (labels, indices) copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(long[] data, int[]? shape = null) => FromData(data, shape, DType.Int64, false);

    /// <summary>An int64 tensor (labels, indices) copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(int[] data, int[]? shape = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return FromData(Array.ConvertAll(data, v => (long)v), shape, DType.Int64, false);
    }

    /// <summary>A 2-D float32 tensor copied from a rectangular array.</summary>
    public static Tensor FromArray(float[,] data, bool requiresGrad = false) =>
        FromData(Flatten(data), [data.GetLength(0), data.GetLength(1)], DType.Float32, requiresGrad);

    /// <summary>A 2-D float64 tensor copied from a rectangular array.</summary>
    public static Tensor FromArray(double[,] data, bool requiresGrad = false) =>
        FromData(Flatten(data), [data.GetLength(0), data.GetLength(1)], DType.Float64, requiresGrad);

    private static T[] Flatten<T>(T[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var flat = new T[data.Length];
        int i = 0;
        foreach (var value in data) flat[i++] = value;
        return flat;
    }

    private static Tensor FromData<T>(T[] data, int[]? shape, DType dtype, bool requiresGrad)
    {
        ArgumentNullException.ThrowIfNull(data);
        int[] finalShape = shape is null ? [data.Length] : (int[])shape.Clone();
        int count = Shapes.Count(finalShape, "FromArray");
        if (count != data.Length)
            throw new TensorShapeException(
                $"FromArray: {data.Length} values cannot fill shape {Shapes.Format(finalShape)}, which holds {count}.", nameof(data));
        return new Tensor(data.Clone() as T[] ?? data, finalShape, dtype) { RequiresGrad = requiresGrad };
    }

    /// <summary>Values from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive) in steps of <paramref name="step"/>.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0 || double.IsNaN(step))
            throw new ArgumentException($"Arange: step must be non-zero, got {step}.", nameof(step));
        double span = Math.Ceiling((end - start) / step);
        int count = span > 0 ? checked((int)span) : 0;
        var result = Empty([count], dtype, "Arange");
        for (int i = 0; i < count; i++) result.SetDouble(i, start + i * step);
        return result;
    }

    /// <summary>0, 1, ..., <paramref name="end"/> - 1.</summary>
    public static Tensor Arange(int end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    /// <summary>An identity matrix with <paramref name="rows"/> rows and <paramref name="columns"/> columns (square by default).</summary>
    public static Tensor Eye(int rows, int? columns = null, DType dtype = DType.Float32)
    {
        int cols = columns ?? rows;
        var values = new double[Shapes.Count([rows, cols], "Eye")];
        for (int i = 0; i < Math.Min(rows, cols); i++) values[i * cols + i] = 1;
        return FromArray(values, [rows, cols]).To(dtype);
    }

    /// <summary>Values drawn uniformly from [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(int[] shape, double low = 0, double high = 1, Generator? generator = null,
        DType dtype = DType.Float32, bool requiresGrad = false)
    {
        if (!(high >= low) || double.IsInfinity(high - low))
            throw new ArgumentException($"Uniform: needs finite low <= high, got low={low}, high={high}.", nameof(high));
        var gen = generator ?? Generator.Default;
        var result = Empty((int[])shape.Clone(), dtype, "Uniform");
        // A launch: a replay draws new numbers from the generator, as running the code again would.
        Compiled.Recording.Launch((result, low, high, gen), static s =>
        {
            var (result, low, high, gen) = s;
            for (int i = 0; i < result.Count; i++) result.SetDouble(i, low + (high - low) * gen.NextDouble());
        });
        result.RequiresGrad = requiresGrad;
        return result;
    }

    /// <summary>Values drawn uniformly from [0, 1).</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null, DType dtype = DType.Float32) =>
        Uniform(shape, 0, 1, generator, dtype);

    /// <summary>Values drawn from a normal distribution with the given mean and standard deviation.</summary>
    public static Tensor Normal(int[] shape, double mean = 0, double std = 1, Generator? generator = null,
        DType dtype = DType.Float32, bool requiresGrad = false)
    {
        if (!(std >= 0) || double.IsInfinity(std))
            throw new ArgumentException($"Normal: std must be finite and non-negative, got {std}.", nameof(std));
        var gen = generator ?? Generator.Default;
        var result = Empty((int[])shape.Clone(), dtype, "Normal");
        Compiled.Recording.Launch((result, mean, std, gen), static s =>
        {
            var (result, mean, std, gen) = s;
            for (int i = 0; i < result.Count; i++) result.SetDouble(i, mean + std * gen.NextNormal());
        });
        result.RequiresGrad = requiresGrad;
        return result;
    }

    /// <summary>Values drawn from the standard normal distribution.</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null, DType dtype = DType.Float32) =>
        Normal(shape, 0, 1, generator, dtype);

    // ---- in-place (recorded as PyTorch records them; see Autograd/InPlace.cs) ---------------------------------------

    /// <summary>
    /// Sets every element to <paramref name="value"/> in place, as PyTorch's <c>fill_</c>. Recorded in the graph (no gradient
    /// flows to the old values) when gradients are on and it requires grad.
    /// </summary>
    public Tensor Fill(double value)
    {
        var previous = BeginInPlace("fill_", null);
        FillValues(value);
        EndInPlace("fill_", previous, null, InPlaceBackward.Overwrite);
        return this;
    }

    private void FillValues(double value) =>
        Compiled.Recording.Launch((destination: this, value), static s =>
        {
            var (destination, value) = s;
            switch (destination.DType)
            {
                case DType.Float32: System.Array.Fill(destination.F32, (float)value); break;
                case DType.Float64: System.Array.Fill(destination.F64, value); break;
                default: System.Array.Fill(destination.I64, (long)value); break;
            }
        });

    /// <summary>
    /// Copies <paramref name="source"/>'s values into this tensor in place (same shape and dtype), as PyTorch's <c>copy_</c>.
    /// Recorded in the graph (the gradient goes to the source) when gradients are on and either tensor requires grad.
    /// </summary>
    public Tensor CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!Shapes.Equal(shape, source.shape) || DType != source.DType)
            throw new TensorShapeException($"CopyFrom: source {Shapes.Format(source.shape)} {source.DType.Name()} does not match " +
                $"destination {Shapes.Format(shape)} {DType.Name()}.");
        var previous = BeginInPlace("copy_", source);
        Compiled.Recording.Launch((source, destination: this), static s => System.Array.Copy(s.source.Values, s.destination.Values, s.destination.Count));
        EndInPlace("copy_", previous, source, InPlaceBackward.Copy);
        return this;
    }
}

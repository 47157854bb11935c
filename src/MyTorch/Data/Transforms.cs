using System.Globalization;

namespace MyTorch.Data;

/// <summary>
/// A change made to each example's input as it is read (torchvision's transforms): a function of the example and,
/// for the random ones, of a <see cref="Generator"/>, so that a seeded generator gives the same augmented epochs run
/// after run. Transforms compose with <see cref="Compose"/>, and <see cref="TransformedDataset"/> applies them.
/// </summary>
public abstract class Transform
{
    /// <summary>The transformed example (a new tensor; <paramref name="input"/> is left as it is).</summary>
    public abstract Tensor Apply(Tensor input, Generator generator);

    /// <summary>This transform, then <paramref name="next"/>.</summary>
    public Transform Then(Transform next) => new Compose(this, next);
}

/// <summary>Several transforms applied in order (torchvision's <c>Compose</c>).</summary>
public sealed class Compose : Transform
{
    private readonly Transform[] transforms;

    /// <summary>Applies <paramref name="transforms"/> from first to last.</summary>
    public Compose(params Transform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        if (transforms.Any(t => t is null)) throw new ArgumentException("Compose: a transform is null.", nameof(transforms));
        this.transforms = [.. transforms];
    }

    /// <summary>The transforms, in the order they run.</summary>
    public IReadOnlyList<Transform> Transforms => transforms;

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input, Generator generator)
    {
        foreach (var transform in transforms) input = transform.Apply(input, generator);
        return input;
    }
}

/// <summary>
/// <c>(x - mean[c]) / std[c]</c> for each channel c along the first dimension (torchvision's <c>Normalize</c>); one
/// mean and one std apply to every element.
/// </summary>
public sealed class Normalize : Transform
{
    private readonly double[] mean, std;

    /// <summary>Normalizes with one mean and std per channel, or one of each for all.</summary>
    public Normalize(double[] mean, double[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize: mean and std must have the same, non-zero length; got {mean.Length} and {std.Length}.", nameof(std));
        if (std.Any(s => !(s > 0) || !double.IsFinite(s)))
            throw new ArgumentException($"Normalize: every std must be positive and finite; got [{string.Join(", ", std.Select(s => s.ToString(CultureInfo.InvariantCulture)))}].", nameof(std));
        this.mean = [.. mean];
        this.std = [.. std];
    }

    /// <summary>One mean and one std for every element.</summary>
    public Normalize(double mean, double std) : this([mean], [std]) { }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.RequireFloat("Normalize");
        if (mean.Length == 1) return (input - mean[0]) / std[0];
        if (input.Rank == 0 || input.Shape[0] != mean.Length)
            throw new TensorShapeException($"Normalize: an input shaped {Shapes.Format(input.Shape)} has no first dimension of {mean.Length} channels, one per mean and std.");
        var shape = new int[input.Rank];
        Array.Fill(shape, 1);
        shape[0] = mean.Length;
        var m = Tensor.FromArray(mean, shape).To(input.DType);
        var s = Tensor.FromArray(std, shape).To(input.DType);
        return (input - m) / s;
    }
}

/// <summary>
/// A random <see cref="Height"/> x <see cref="Width"/> window of an image (C, H, W) or (H, W), after padding each side
/// with <see cref="Padding"/> zeros (torchvision's <c>RandomCrop(size, padding)</c>): the window's top and left are
/// drawn uniformly from the generator, top first.
/// </summary>
public sealed class RandomCrop : Transform
{
    /// <summary>Crops to <paramref name="height"/> x <paramref name="width"/> after zero padding of <paramref name="padding"/> on every side.</summary>
    public RandomCrop(int height, int width, int padding = 0)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"RandomCrop: the size must be positive, got {height} x {width}.", nameof(height));
        if (padding < 0) throw new ArgumentException($"RandomCrop: the padding must be 0 or more, got {padding}.", nameof(padding));
        Height = height;
        Width = width;
        Padding = padding;
    }

    /// <summary>A square crop of <paramref name="size"/> after padding of <paramref name="padding"/>.</summary>
    public RandomCrop(int size, int padding = 0) : this(size, size, padding) { }

    /// <summary>The height of the crop.</summary>
    public int Height { get; }

    /// <summary>The width of the crop.</summary>
    public int Width { get; }

    /// <summary>The zeros added on each side before cropping.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(generator);
        if (input.Rank is not (2 or 3))
            throw new TensorShapeException($"RandomCrop: expected an image shaped (C, H, W) or (H, W), got {Shapes.Format(input.Shape)}.");
        int h = input.Shape[^2], w = input.Shape[^1];
        int paddedH = h + 2 * Padding, paddedW = w + 2 * Padding;
        if (Height > paddedH || Width > paddedW)
            throw new TensorShapeException($"RandomCrop: a {Height} x {Width} crop does not fit an image of {h} x {w} padded by {Padding} ({paddedH} x {paddedW}).");
        int top = (int)generator.NextInt64(paddedH - Height + 1);
        int left = (int)generator.NextInt64(paddedW - Width + 1);
        return input.DType switch
        {
            DType.Float32 => Crop(input.ToArray<float>(), input, top - Padding, left - Padding),
            DType.Float64 => Crop(input.ToArray<double>(), input, top - Padding, left - Padding),
            _ => Crop(input.ToArray<long>(), input, top - Padding, left - Padding),
        };
    }

    /// <summary>The window whose top-left corner is at (<paramref name="top"/>, <paramref name="left"/>) of the unpadded image; outside it, zeros.</summary>
    private Tensor Crop<T>(T[] source, Tensor input, int top, int left) where T : unmanaged
    {
        int h = input.Shape[^2], w = input.Shape[^1];
        int channels = input.Rank == 3 ? input.Shape[0] : 1;
        var result = new T[channels * Height * Width];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < Height; y++)
            {
                int sy = top + y;
                if (sy < 0 || sy >= h) continue;
                for (int x = 0; x < Width; x++)
                {
                    int sx = left + x;
                    if (sx >= 0 && sx < w) result[(c * Height + y) * Width + x] = source[(c * h + sy) * w + sx];
                }
            }
        int[] shape = input.Rank == 3 ? [channels, Height, Width] : [Height, Width];
        return result switch
        {
            float[] f => Tensor.FromArray(f, shape),
            double[] d => Tensor.FromArray(d, shape),
            long[] l => Tensor.FromArray(l, shape),
            _ => throw new NotSupportedException(),
        };
    }
}

/// <summary>
/// Mirrors an image left to right (its last dimension) with probability <see cref="Probability"/> (torchvision's
/// <c>RandomHorizontalFlip</c>): one <see cref="Generator.NextDouble"/> per example decides.
/// </summary>
public sealed class RandomHorizontalFlip : Transform
{
    /// <summary>Flips with probability <paramref name="probability"/> (0.5 by default, as torchvision).</summary>
    public RandomHorizontalFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1))
            throw new ArgumentException($"RandomHorizontalFlip: the probability must be in [0, 1], got {probability.ToString(CultureInfo.InvariantCulture)}.", nameof(probability));
        Probability = probability;
    }

    /// <summary>The probability of a flip.</summary>
    public double Probability { get; }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(generator);
        if (input.Rank == 0) throw new TensorShapeException("RandomHorizontalFlip: a 0-d tensor has no width to flip.");
        return generator.NextDouble() < Probability ? input.Flip(-1) : input.Clone();
    }
}

/// <summary>
/// A data set whose inputs go through a <see cref="Transform"/> each time an example is read, so that a random
/// augmentation differs from epoch to epoch; the draws come from <see cref="Generator"/>, in the order the examples
/// are read.
/// </summary>
public sealed class TransformedDataset : IDataset
{
    /// <summary>Reads <paramref name="source"/> and transforms its inputs with <paramref name="transform"/>, drawing from <paramref name="generator"/> (or <see cref="MyTorch.Generator.Default"/>).</summary>
    public TransformedDataset(IDataset source, Transform transform, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(transform);
        Source = source;
        Transform = transform;
        Generator = generator ?? Generator.Default;
    }

    /// <summary>The data set read.</summary>
    public IDataset Source { get; }

    /// <summary>The transform applied to every input.</summary>
    public Transform Transform { get; }

    /// <summary>The generator of the random transforms.</summary>
    public Generator Generator { get; }

    /// <inheritdoc/>
    public int Count => Source.Count;

    /// <inheritdoc/>
    public (Tensor Input, Tensor Target) GetItem(int index)
    {
        var (input, target) = Source.GetItem(index);
        return (Transform.Apply(input, Generator), target);
    }
}

using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Channel dropout, PyTorch's <c>nn.Dropout2d</c>: in training, each whole channel of an (N, C, H, W) input (or of a
/// 3-D (N, C, L) one, as PyTorch 1.13 treats it) is zeroed with probability p and the others are scaled by 1/(1 - p);
/// evaluation passes the input through. The masks come from a seedable <see cref="Generator"/>, one uniform per channel.
/// </summary>
public sealed class Dropout2d : Module
{
    private readonly Generator generator;

    /// <summary>Creates the layer; the masks come from <paramref name="generator"/> (the default generator if null).</summary>
    public Dropout2d(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout2d: p must be in [0, 1).");
        P = p;
        this.generator = generator ?? Generator.Default;
    }

    /// <summary>The probability of zeroing a channel.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (3 or 4))
            throw new TensorShapeException(string.Create(CultureInfo.InvariantCulture,
                $"Dropout2d(p={P}): expected a 4-D input (batch, channels, height, width) or 3-D (batch, channels, length), got shape {Shapes.Format(input.Shape)}."), nameof(input));
        if (!IsTraining || P == 0) return input;
        input.RequireFloat("dropout2d");
        int[] maskShape = input.Rank == 4 ? [input.Shape[0], input.Shape[1], 1, 1] : [input.Shape[0], input.Shape[1], 1];
        var mask = Tensor.Empty(maskShape, input.DType, "dropout2d");
        Compiled.Recording.Launch((mask, generator, p: P), static s =>
        {
            if (s.mask.DType == DType.Float32) Mask<float>(s.mask.F32, s.generator, s.p);
            else Mask<double>(s.mask.F64, s.generator, s.p);
        });
        return input * mask;
    }

    private static void Mask<T>(Span<T> mask, Generator generator, double p) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        // As Dropout: each uniform rounded to T is compared with p rounded to T.
        T threshold = T.CreateTruncating(p), scale = T.One / T.CreateTruncating(1 - p);
        generator.FillUniform(mask);
        for (int i = 0; i < mask.Length; i++) mask[i] = mask[i] >= threshold ? scale : T.Zero;
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"p={P}, inplace=False");
}

using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Inverted dropout: in training, each element is zeroed with probability p and the survivors are scaled by
/// 1/(1 - p), so evaluation (which passes the input through unchanged) needs no rescaling.
/// </summary>
public sealed class Dropout : Module
{
    private readonly Generator generator;

    /// <summary>Creates the layer; the masks come from <paramref name="generator"/> (the default generator if null).</summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be in [0, 1).");
        P = p;
        this.generator = generator ?? Generator.Default;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!IsTraining || P == 0) return input;
        var mask = Tensor.Rand(input.ShapeArray, generator, input.DType).Ge(P) / (1 - P);
        return input * mask;
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"p={P}");
}

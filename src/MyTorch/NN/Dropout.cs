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
        input.RequireFloat("dropout");
        // One pass: mask = [u >= p] / (1 - p) for a uniform u per element from the generator, y = x * mask. A replay draws
        // new numbers from the generator, as running the layer again would.
        var mask = Tensor.Empty((int[])input.ShapeArray.Clone(), input.DType, "dropout");
        var y = Tensor.Empty((int[])input.ShapeArray.Clone(), input.DType, "dropout");
        Compiled.Recording.Launch((input, mask, y, generator, p: P), static s =>
        {
            if (s.input.DType == DType.Float32) Mask<float>(s.input.F32, s.mask.F32, s.y.F32, s.generator, s.p);
            else Mask<double>(s.input.F64, s.mask.F64, s.y.F64, s.generator, s.p);
        });
        return Autograd.Record(y, "dropout", [input], g => [g * mask]);
    }

    private static void Mask<T>(ReadOnlySpan<T> x, Span<T> mask, Span<T> y, Generator generator, double p)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        // Each uniform is rounded to T before the comparison, as a T tensor of uniforms compared with p would be.
        T threshold = T.CreateTruncating(p);
        T scale = T.One / T.CreateTruncating(1 - p);
        generator.FillUniform(mask);
        // Branch-free: which elements survive is random, so a branch per element would mispredict often.
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && System.Numerics.Vector<T>.IsSupported)
        {
            var thresholds = new System.Numerics.Vector<T>(threshold);
            var scales = new System.Numerics.Vector<T>(scale);
            for (; i <= mask.Length - System.Numerics.Vector<T>.Count; i += System.Numerics.Vector<T>.Count)
            {
                var u = new System.Numerics.Vector<T>(mask[i..]);
                var kept = System.Numerics.Vector.GreaterThanOrEqual(u, thresholds);
                System.Numerics.Vector.ConditionalSelect(kept, scales, System.Numerics.Vector<T>.Zero).CopyTo(mask[i..]);
            }
        }
        for (; i < mask.Length; i++) mask[i] = mask[i] >= threshold ? scale : T.Zero;
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, mask, y);
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"p={P}");
}

using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Layer normalization over the last dimension (PyTorch's <c>nn.LayerNorm(features)</c>):
/// y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance of each example's features.
/// Unlike BatchNorm it does not depend on the batch, so training and evaluation behave the same (seed 000, question 5).
/// </summary>
public sealed class LayerNorm : Module
{
    /// <summary>Creates the layer; <paramref name="elementwiseAffine"/> adds the learned weight (ones) and bias (zeros).</summary>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
    {
        if (normalizedShape <= 0) throw new ArgumentOutOfRangeException(nameof(normalizedShape), normalizedShape, "LayerNorm: normalizedShape must be positive.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "LayerNorm: eps must be positive.");
        NormalizedShape = normalizedShape;
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([normalizedShape], dtype));
            Bias = RegisterParameter("bias", Tensor.Zeros([normalizedShape], dtype));
        }
    }

    /// <summary>The size of the normalized (last) dimension.</summary>
    public int NormalizedShape { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>The learned scale, or null without affine parameters.</summary>
    public Tensor? Weight { get; }

    /// <summary>The learned shift, or null without affine parameters.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 0 || input.Shape[^1] != NormalizedShape)
            throw new TensorShapeException(
                $"LayerNorm({NormalizedShape}): input of shape {Shapes.Format(input.Shape)} does not end in {NormalizedShape}.", nameof(input));
        var centered = input - input.Mean(-1, keepDim: true);
        var variance = (centered * centered).Mean(-1, keepDim: true);
        var y = centered / (variance + Eps).Sqrt();
        return Weight is null ? y : y * Weight + Bias!;
    }

    /// <inheritdoc/>
    protected override string ExtraDescription =>
        string.Create(CultureInfo.InvariantCulture, $"({NormalizedShape},), eps={Eps}, elementwise_affine={(Weight is null ? "False" : "True")}");
}

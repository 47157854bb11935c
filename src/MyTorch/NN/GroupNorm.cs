using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Group normalization, PyTorch's <c>nn.GroupNorm</c>: the channels of each (N, C, ...) image are split into
/// <see cref="NumGroups"/> groups, each normalized by its own mean and biased variance (the same in training and
/// evaluation: no running statistics), then scaled and shifted per channel by <c>weight</c> (ones) and <c>bias</c>
/// (zeros) when affine, under PyTorch's state-dict keys.
/// </summary>
public sealed class GroupNorm : Module
{
    private string? label;

    /// <summary>Creates the layer.</summary>
    /// <param name="numGroups">The number of groups; must divide <paramref name="numChannels"/>.</param>
    /// <param name="numChannels">C, the input's channels.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="affine">Whether the layer learns a per-channel weight and bias.</param>
    /// <param name="dtype">The parameters' element type.</param>
    public GroupNorm(int numGroups, int numChannels, double eps = 1e-5, bool affine = true, DType dtype = DType.Float32)
    {
        if (numGroups <= 0) throw new ArgumentOutOfRangeException(nameof(numGroups), numGroups, "GroupNorm: numGroups must be positive.");
        if (numChannels <= 0 || numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: num_channels {numChannels} must be positive and divisible by num_groups {numGroups}.", nameof(numChannels));
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([numChannels], dtype));
            Bias = RegisterParameter("bias", Tensor.Zeros([numChannels], dtype));
        }
    }

    /// <summary>The number of groups.</summary>
    public int NumGroups { get; }

    /// <summary>The input's channels.</summary>
    public int NumChannels { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>The per-channel scale, (C,); null without affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>The per-channel shift, (C,); null without affine.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        label ??= OneLineDescription;
        if (input.Rank < 2 || input.Shape[1] != NumChannels)
            throw new TensorShapeException(
                $"{label}: expected an input (batch, {NumChannels}, ...) with at least 2 dimensions, got shape {Shapes.Format(input.Shape)}.", nameof(input));
        return Ops.GroupNormOp.Apply(label, input, NumGroups, Weight, Bias, Eps);
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/> (its own).</summary>
    public int[] OutputShape(params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        using var noGrad = Autograd.NoGrad();
        return Forward(Tensor.Zeros(inputShape, Weight?.DType ?? DType.Float32)).ShapeArray;
    }

    /// <inheritdoc/>
    protected override string ExtraDescription =>
        string.Create(CultureInfo.InvariantCulture, $"{NumGroups}, {NumChannels}, eps={Eps:0.#####e+00}, affine={PoolShapes.Python(Weight is not null)}");
}

namespace MyTorch.NN;

/// <summary>
/// A fully connected layer, z = x W + b, with seed 004's shapes: W is (in, out) and b is (1, out), so a batch
/// x of shape (batch, in) gives z of shape (batch, out).
/// </summary>
/// <remarks>
/// PyTorch's <c>nn.Linear</c> stores its weight as (out, in) and computes x Wᵀ + b with b of shape (out,): the
/// same layer with the weight transposed. The state dict keys are PyTorch's (<c>weight</c>, <c>bias</c>);
/// checkpoints written for PyTorch users transpose the weight and flatten the bias.
/// Default initialization is PyTorch's: W and b uniform on [-1/sqrt(in), 1/sqrt(in)].
/// </remarks>
public sealed class Linear : Module
{
    /// <summary>Creates the layer; <paramref name="weightInit"/>(in, out) and <paramref name="biasInit"/>(out) replace the default initialization (seed 004's weight_init_fn and bias_init_fn).</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null,
        Func<int, int, Tensor>? weightInit = null, Func<int, Tensor>? biasInit = null)
    {
        if (inFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "Linear: inFeatures must be positive.");
        if (outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "Linear: outFeatures must be positive.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double bound = 1 / Math.Sqrt(inFeatures);
        var weight = weightInit is null
            ? Tensor.Uniform([inFeatures, outFeatures], -bound, bound, generator, dtype)
            : CheckInit(weightInit(inFeatures, outFeatures), [inFeatures, outFeatures], "weightInit");
        W = RegisterParameter("weight", weight.Detach().Clone());
        if (bias)
        {
            var b = biasInit is null
                ? Tensor.Uniform([1, outFeatures], -bound, bound, generator, dtype)
                : CheckInit(biasInit(outFeatures), [1, outFeatures], "biasInit");
            B = RegisterParameter("bias", b.Detach().Clone());
        }
    }

    private static Tensor CheckInit(Tensor value, int[] shape, string name)
    {
        if (value is null) throw new ArgumentException($"Linear: {name} returned null.", name);
        if (Shapes.Equal(value.Shape, shape)) return value;
        if (value.Rank == 1 && shape[0] == 1 && value.Count == shape[1]) return value.Reshape(shape);
        throw new TensorShapeException($"Linear: {name} returned shape {Shapes.Format(value.Shape)}; expected {Shapes.Format(shape)}.", name);
    }

    /// <summary>Input size.</summary>
    public int InFeatures { get; }

    /// <summary>Output size.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, shape (in, out).</summary>
    public Tensor W { get; }

    /// <summary>The bias, shape (1, out); null for a layer without bias.</summary>
    public Tensor? B { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 0 || input.Shape[^1] != InFeatures)
            throw new TensorShapeException(
                $"Linear({InFeatures} -> {OutFeatures}): input of shape {Shapes.Format(input.Shape)} does not end in {InFeatures} features.", nameof(input));
        if (input.DType != W.DType) Tensor.ThrowDTypeMismatch("linear", input, W);
        if (input.Rank == 2)
            return new Ops.LinearFunction().Apply(B is null ? [input, W] : [input, W, B]);
        // Any leading dimensions are a batch: fold them into rows for the fused 2-D op.
        var rows = input.Reshape(-1, InFeatures);
        var z = new Ops.LinearFunction().Apply(B is null ? [rows, W] : [rows, W, B]);
        int[] shape = [.. input.Shape[..^1], OutFeatures];
        return z.Reshape(shape);
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(B is null ? "False" : "True")}";
}

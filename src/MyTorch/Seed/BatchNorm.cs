namespace MyTorch.Seed;

/// <summary>
/// Seed 004's batch normalization (task 3.3 and appendix C) over (batch, features): <see cref="Forward"/> normalizes
/// with the batch statistics and updates the running ones (E[x] = alpha E[x] + (1 - alpha) mu, the same for the
/// biased variance), or with <c>eval</c> normalizes with the running ones and leaves them alone.
/// <see cref="Backward"/> takes delta = dL/dy, stores <see cref="DGamma"/> = sum_i delta_i x̂_i and
/// <see cref="DBeta"/> = sum_i delta_i (sums over the batch, as the seed defines them) and returns dL/dx by the
/// appendix formulas.
/// </summary>
/// <remarks>
/// The layer is a core <see cref="NN.BatchNorm1d"/> (<see cref="Module"/>) with the seed's defaults, eps = 1e-8 and
/// alpha = 0.9; its backward is the core op's, by autograd. The gradients live in gamma's and beta's
/// <see cref="Tensor.Grad"/>, where an optimizer finds them.
/// </remarks>
public sealed class BatchNorm
{
    private Tensor? input;
    private bool lastEval;

    /// <summary>Creates the layer for <paramref name="inFeature"/> features with the seed's eps of 1e-8.</summary>
    public BatchNorm(int inFeature, double alpha = 0.9, DType dtype = DType.Float32)
        : this(new NN.BatchNorm1d(inFeature, eps: 1e-8, alpha: alpha, dtype: dtype)) { }

    /// <summary>Gives <paramref name="module"/> the seed's interface.</summary>
    public BatchNorm(NN.BatchNorm1d module)
    {
        ArgumentNullException.ThrowIfNull(module);
        Module = module;
    }

    /// <summary>The core module holding gamma, beta and the running statistics.</summary>
    public NN.BatchNorm1d Module { get; }

    /// <summary>The learned scale, (features,).</summary>
    public Tensor Gamma => Module.Gamma;

    /// <summary>The learned shift, (features,).</summary>
    public Tensor Beta => Module.Beta;

    /// <summary>The running mean E[x], (features,).</summary>
    public Tensor RunningMean => Module.RunningMean;

    /// <summary>The running (biased) variance Var[x], (features,).</summary>
    public Tensor RunningVar => Module.RunningVar;

    /// <summary>The weight of the old running statistic in each update.</summary>
    public double Alpha => Module.Alpha;

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps => Module.Eps;

    /// <summary>dL/dgamma = sum over the batch of delta x̂ from the last <see cref="Backward"/>; zeros before.</summary>
    public Tensor DGamma => Gamma.Grad ?? Tensor.ZerosLike(Gamma);

    /// <summary>dL/dbeta = sum over the batch of delta from the last <see cref="Backward"/>; zeros before.</summary>
    public Tensor DBeta => Beta.Grad ?? Tensor.ZerosLike(Beta);

    /// <summary>
    /// y = gamma x̂ + beta for x of shape (batch, features): with the batch statistics, updating the running ones, or
    /// with <paramref name="eval"/> the running statistics, unchanged. An input that does not fit changes nothing.
    /// </summary>
    public Tensor Forward(Tensor x, bool eval = false)
    {
        var y = Module.Forward(x, training: !eval, updateRunningStatistics: !eval);
        input = x.Detach();
        lastEval = eval;
        return y;
    }

    /// <summary>
    /// Given delta = dL/dy for the last forward, sets <see cref="DGamma"/> and <see cref="DBeta"/> (sums over the
    /// batch) and returns dL/dx, at the current gamma and beta.
    /// </summary>
    public Tensor Backward(Tensor delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (input is null) throw new InvalidOperationException("BatchNorm.Backward: call Forward first.");
        if (!Shapes.Equal(delta.Shape, input.Shape) || delta.DType != input.DType)
            throw new TensorShapeException(
                $"BatchNorm({Module.NumFeatures}).Backward: delta is {Shapes.Format(delta.Shape)} {delta.DType.Name()}; " +
                $"the last forward's output is {Shapes.Format(input.Shape)} {input.DType.Name()}.", nameof(delta));
        Tensor?[] grads;
        // The same normalization again on a leaf of its own, without touching the running statistics, so the
        // gradients stop at this layer's input.
        using (Autograd.EnableGrad())
        {
            var x = input.Detach().RequireGrad();
            var y = Module.Forward(x, training: !lastEval, updateRunningStatistics: false);
            grads = Autograd.Grad([y], [x, Gamma, Beta], [delta]);
        }
        Gamma.Grad = grads[1]!.Detach();
        Beta.Grad = grads[2]!.Detach();
        return grads[0]!;
    }
}

using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Batch normalization over a (batch, features) input, exactly as seed 004 specifies it:
/// <code>
/// mu  = 1/m sum_i x_i                 var = 1/m sum_i (x_i - mu)²      (biased)
/// x̂_i = (x_i - mu) / sqrt(var + eps)   y_i = gamma x̂_i + beta
/// running_mean = alpha running_mean + (1 - alpha) mu                     (training only)
/// running_var  = alpha running_var  + (1 - alpha) var
/// </code>
/// Training normalizes with the batch statistics, evaluation with the running ones. The backward pass is
/// the seed's appendix formulas (a fused op), so gamma's gradient is sum_i dL/dy_i x̂_i and beta's sum_i dL/dy_i.
/// The seed's own BatchNorm class, with its forward(x, eval) and backward(delta), is <see cref="MyTorch.Seed.BatchNorm"/>.
/// </summary>
/// <remarks>
/// Defaults differ from PyTorch's <c>nn.BatchNorm1d</c> on purpose: eps is 1e-8 (PyTorch: 1e-5), alpha = 0.9
/// weights the old running value (PyTorch's momentum 0.1 weights the new one), and the running variance
/// averages the biased batch variance (PyTorch: unbiased). The state dict keys are PyTorch's.
/// </remarks>
public sealed class BatchNorm1d : Module
{
    /// <summary>Creates the layer for <paramref name="numFeatures"/> features.</summary>
    public BatchNorm1d(int numFeatures, double eps = 1e-8, double alpha = 0.9, DType dtype = DType.Float32)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, "BatchNorm1d: numFeatures must be positive.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "BatchNorm1d: eps must be positive.");
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "BatchNorm1d: alpha must be in [0, 1].");
        NumFeatures = numFeatures;
        Eps = eps;
        Alpha = alpha;
        Gamma = RegisterParameter("weight", Tensor.Ones([numFeatures], dtype));
        Beta = RegisterParameter("bias", Tensor.Zeros([numFeatures], dtype));
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype));
    }

    /// <summary>The number of features normalized.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance before the square root (seed 004: 1e-8).</summary>
    public double Eps { get; }

    /// <summary>The weight of the old running statistic in each update (seed 004: 0.9).</summary>
    public double Alpha { get; }

    /// <summary>The learned scale, shape (features,), initially ones.</summary>
    public Tensor Gamma { get; }

    /// <summary>The learned shift, shape (features,), initially zeros.</summary>
    public Tensor Beta { get; }

    /// <summary>The running mean E[x] used at evaluation, initially zeros.</summary>
    public Tensor RunningMean { get; }

    /// <summary>The running (biased) variance Var[x] used at evaluation, initially ones.</summary>
    public Tensor RunningVar { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, IsTraining, updateRunningStatistics: IsTraining);

    /// <summary>
    /// Normalizes with the batch statistics (<paramref name="training"/>) or the running ones, and updates the
    /// running statistics only when <paramref name="updateRunningStatistics"/>; the input is checked first, so a
    /// call that throws leaves them as they were.
    /// </summary>
    internal Tensor Forward(Tensor input, bool training, bool updateRunningStatistics)
    {
        CheckInput(input, training);
        if (!training)
            return (input - RunningMean) / (RunningVar + Eps).Sqrt() * Gamma + Beta;
        return new Ops.BatchNormFunction(this, updateRunningStatistics).Apply(input, Gamma, Beta);
    }

    private void CheckInput(Tensor input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Shape[1] != NumFeatures)
            throw new TensorShapeException(
                $"BatchNorm1d({NumFeatures}): expected input of shape (batch, {NumFeatures}), got {Shapes.Format(input.Shape)}.", nameof(input));
        if (input.DType != Gamma.DType)
            throw new TensorShapeException(
                $"BatchNorm1d({NumFeatures}): input is {input.DType.Name()} but the layer is {Gamma.DType.Name()}; convert one with To(DType).", nameof(input));
        if (training && input.Shape[0] < 1)
            throw new TensorShapeException($"BatchNorm1d({NumFeatures}): training needs a batch of at least one example.", nameof(input));
    }

    /// <inheritdoc/>
    protected override string ExtraDescription =>
        string.Create(CultureInfo.InvariantCulture, $"{NumFeatures}, eps={Eps}, alpha={Alpha}");
}

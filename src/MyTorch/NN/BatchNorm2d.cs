using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Batch normalization per channel of an (N, C, H, W) input over N, H and W, PyTorch's <c>nn.BatchNorm2d</c> with its
/// defaults and state: eps 1e-5, momentum 0.1 (the weight of the new batch; null for a cumulative average), affine
/// weight (ones) and bias (zeros), and running mean (zeros), running variance (ones, updated with the unbiased batch
/// variance) and <c>num_batches_tracked</c> buffers under PyTorch's state-dict keys.
/// </summary>
/// <remarks>
/// Training normalizes with the batch's statistics (biased variance) and updates the running ones; evaluation uses the
/// running ones, unless <c>trackRunningStats</c> is false, in which case there are none and every call uses the batch's.
/// Training forward and backward are fused kernels over each channel's planes; evaluation is tensor ops.
/// </remarks>
public sealed class BatchNorm2d : Module
{
    /// <summary>Creates the layer for <paramref name="numFeatures"/> channels.</summary>
    public BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, "BatchNorm2d: numFeatures must be positive.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "BatchNorm2d: eps must be positive.");
        if (momentum is { } m && !(m >= 0 && m <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "BatchNorm2d: momentum must be in [0, 1].");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([numFeatures], dtype));
            Bias = RegisterParameter("bias", Tensor.Zeros([numFeatures], dtype));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.FromArray(new long[] { 0 }).Reshape());
        }
    }

    /// <summary>The number of channels normalized.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>The weight of each batch in the running statistics; null for a cumulative average over all batches.</summary>
    public double? Momentum { get; }

    /// <summary>The learned scale, (C,), initially ones; null without affine parameters.</summary>
    public Tensor? Weight { get; }

    /// <summary>The learned shift, (C,), initially zeros; null without affine parameters.</summary>
    public Tensor? Bias { get; }

    /// <summary>The running mean, initially zeros; null when running statistics are not tracked.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>The running unbiased variance, initially ones; null when running statistics are not tracked.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>The number of training batches seen (a 0-d int64 tensor); null when running statistics are not tracked.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Shape[1] != NumFeatures)
            throw new TensorShapeException(
                $"BatchNorm2d({NumFeatures}): expected an input of shape (batch, {NumFeatures}, height, width), got {Shapes.Format(input.Shape)}.", nameof(input));
        var dtype = Weight?.DType ?? RunningMean?.DType ?? input.DType;
        if (input.DType != dtype || !dtype.IsFloatingPoint())
            throw new TensorShapeException($"BatchNorm2d({NumFeatures}): input is {input.DType.Name()} but the layer is {dtype.Name()}; convert one with To(DType).", nameof(input));
        bool batchStatistics = IsTraining || RunningMean is null;
        if (!batchStatistics)
        {
            var shape = new[] { NumFeatures, 1, 1 };
            var y = (input - RunningMean!.Reshape(shape)) / (RunningVar!.Reshape(shape) + Eps).Sqrt();
            return Weight is null ? y : y * Weight.Reshape(shape) + Bias!.Reshape(shape);
        }
        long count = (long)input.Shape[0] * input.Shape[2] * input.Shape[3];
        if (count <= 1)
            throw new TensorShapeException(
                $"BatchNorm2d({NumFeatures}): expected more than 1 value per channel when training, got input of shape {Shapes.Format(input.Shape)}.", nameof(input));
        return new Ops.BatchNorm2dFunction(this, IsTraining && RunningMean is not null).Apply(Weight is null ? [input] : [input, Weight, Bias!]);
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture,
        $"{NumFeatures}, eps={Eps}, momentum={(Momentum is { } m ? m.ToString(CultureInfo.InvariantCulture) : "None")}, affine={PoolShapes.Python(Weight is not null)}, track_running_stats={PoolShapes.Python(RunningMean is not null)}");
}

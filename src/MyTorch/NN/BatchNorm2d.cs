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
        return new Function(this, IsTraining && RunningMean is not null).Apply(Weight is null ? [input] : [input, Weight, Bias!]);
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture,
        $"{NumFeatures}, eps={Eps}, momentum={(Momentum is { } m ? m.ToString(CultureInfo.InvariantCulture) : "None")}, affine={PoolShapes.Python(Weight is not null)}, track_running_stats={PoolShapes.Python(RunningMean is not null)}");

    /// <summary>The training-mode forward and its backward as one op with fused kernels.</summary>
    private sealed class Function(BatchNorm2d layer, bool updateRunningStatistics) : AutogradFunction
    {
        private Tensor xHat = null!, invStd = null!;
        private Tensor? gamma;

        public override string Name => "batch_norm2d";

        protected override Tensor Forward(Tensor[] inputs)
        {
            var x = inputs[0];
            gamma = inputs.Length > 1 ? inputs[1] : null;
            var beta = inputs.Length > 2 ? inputs[2] : null;
            int c = x.Shape[1];
            var mean = Tensor.Empty([c], x.DType, Name);
            var variance = Tensor.Empty([c], x.DType, Name);
            invStd = Tensor.Empty([c], x.DType, Name);
            xHat = Tensor.Empty(x.ShapeArray[..], x.DType, Name);
            var y = Tensor.Empty(x.ShapeArray[..], x.DType, Name);
            Compiled.Recording.Launch((x, gamma, beta, eps: layer.Eps, mean, variance, invStd, xHat, y), static s =>
            {
                int n = s.x.Shape[0], channels = s.x.Shape[1], plane = s.x.Shape[2] * s.x.Shape[3];
                if (s.x.DType == DType.Float32)
                    Kernels.BatchNorm2dParallel<float>.Forward(s.x.F32, n, channels, plane, s.gamma is null ? default : s.gamma.F32,
                        s.beta is null ? default : s.beta.F32, (float)s.eps, s.mean.F32, s.variance.F32, s.invStd.F32, s.xHat.F32, s.y.F32);
                else
                    Kernels.BatchNorm2dParallel<double>.Forward(s.x.F64, n, channels, plane, s.gamma is null ? default : s.gamma.F64,
                        s.beta is null ? default : s.beta.F64, s.eps, s.mean.F64, s.variance.F64, s.invStd.F64, s.xHat.F64, s.y.F64);
            });
            if (updateRunningStatistics)
            {
                Compiled.Recording.Launch((layer, x, mean, variance), static s =>
                {
                    var layer = s.layer;
                    long tracked = ++layer.NumBatchesTracked!.I64[0];
                    double factor = layer.Momentum ?? 1.0 / tracked;
                    long m = (long)s.x.Shape[0] * s.x.Shape[2] * s.x.Shape[3];
                    if (s.x.DType == DType.Float32)
                        Kernels.BatchNorm2dKernels.UpdateRunning<float>(layer.RunningMean!.F32, layer.RunningVar!.F32, s.mean.F32, s.variance.F32, factor, m);
                    else
                        Kernels.BatchNorm2dKernels.UpdateRunning<double>(layer.RunningMean!.F64, layer.RunningVar!.F64, s.mean.F64, s.variance.F64, factor, m);
                });
            }
            return y;
        }

        protected override Tensor?[] Backward(Tensor delta)
        {
            int c = xHat.Shape[1];
            bool affine = gamma is not null;
            var dx = NeedsInputGrad(0) ? Tensor.Empty(xHat.ShapeArray[..], delta.DType, Name) : null;
            var dGamma = affine && NeedsInputGrad(1) ? Tensor.Empty([c], delta.DType, Name) : null;
            var dBeta = affine && NeedsInputGrad(2) ? Tensor.Empty([c], delta.DType, Name) : null;
            Compiled.Recording.Launch((delta, xHat, gamma, invStd, dx, dGamma, dBeta), static s =>
            {
                int n = s.xHat.Shape[0], channels = s.xHat.Shape[1], plane = s.xHat.Shape[2] * s.xHat.Shape[3];
                if (s.delta.DType == DType.Float32)
                    Kernels.BatchNorm2dParallel<float>.Backward(s.delta.F32, s.xHat.F32, n, channels, plane, s.gamma is null ? default : s.gamma.F32,
                        s.invStd.F32, s.dx is null ? default : s.dx.F32, s.dGamma is null ? default : s.dGamma.F32, s.dBeta is null ? default : s.dBeta.F32);
                else
                    Kernels.BatchNorm2dParallel<double>.Backward(s.delta.F64, s.xHat.F64, n, channels, plane, s.gamma is null ? default : s.gamma.F64,
                        s.invStd.F64, s.dx is null ? default : s.dx.F64, s.dGamma is null ? default : s.dGamma.F64, s.dBeta is null ? default : s.dBeta.F64);
            });
            return affine ? [dx, dGamma, dBeta] : [dx];
        }
    }
}

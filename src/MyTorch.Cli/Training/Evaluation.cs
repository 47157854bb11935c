using MyTorch.Compiled;
using MyTorch.Data;
using MyTorch.Losses;
using MyTorch.NN;

namespace MyTorch.Cli.Training;

/// <summary>Loss and error of a model over a data set, in evaluation mode.</summary>
/// <param name="Loss">Mean loss (in the network's target units for regression).</param>
/// <param name="Error">Misclassification rate, or mean absolute error in original units for regression.</param>
/// <param name="MeanSquaredError">Regression only: MSE in original units.</param>
/// <param name="Predictions">Predicted class per example (classification).</param>
/// <param name="Count">The number of examples.</param>
public sealed record EvaluationResult(double Loss, double Error, double MeanSquaredError, long[] Predictions, int Count)
{
    /// <summary>1 - error, for classification.</summary>
    public double Accuracy => 1 - Error;

    /// <summary>Regression only: the mean absolute error and root-mean-square error of each target column, in its original units.</summary>
    public IReadOnlyList<TargetError> PerTarget { get; init; } = [];
}

/// <summary>One regression target's errors in its original units.</summary>
/// <param name="MeanAbsoluteError">Mean of |prediction - truth|.</param>
/// <param name="RootMeanSquareError">Square root of the mean of (prediction - truth)^2.</param>
public sealed record TargetError(double MeanAbsoluteError, double RootMeanSquareError);

/// <summary>Runs a model over a data set without recording gradients.</summary>
public static class Evaluation
{
    /// <summary>
    /// The model's outputs for <paramref name="inputs"/>, in batches, in evaluation mode: through
    /// <see cref="CompiledInference"/> with frozen weights where the model's layers allow (the same numbers, without
    /// the allocations), else through <see cref="Module.Forward"/>.
    /// </summary>
    public static Tensor Predict(Module model, Tensor inputs, int batchSize = 1024)
    {
        var parts = new List<Tensor>();
        ForEachBatch(model, inputs, batchSize, (_, outputs) => parts.Add(outputs));
        return parts.Count == 1 ? parts[0] : Tensor.Concat(parts, 0);
    }

    /// <summary>
    /// The outputs of each batch of <paramref name="batchSize"/> rows, with the row it starts at, handed to
    /// <paramref name="use"/> one batch at a time (the model compiled and its weights frozen once for all of them).
    /// </summary>
    private static void ForEachBatch(Module model, Tensor inputs, int batchSize, Action<int, Tensor> use)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            var compiled = inputs.Rank == 2 ? CompiledInference.TryCompile(model, out _) : null;
            if (compiled is not null && inputs.DType != compiled.DType)
                compiled = null; // let the module's forward report the mismatch in its own words
            // The weights do not change during these batches: pack them for the GEMM once, not once per batch.
            compiled?.FreezeWeights();
            for (int start = 0; start < inputs.Shape[0]; start += batchSize)
            {
                var batch = inputs.Narrow(0, start, Math.Min(batchSize, inputs.Shape[0] - start));
                use(start, compiled is null ? model.Forward(batch) : compiled.Run(batch).Clone());
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>Class predictions from outputs: the arg-max, or logit &gt; 0 for a single binary output.</summary>
    public static Tensor Classes(Tensor outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        return outputs.Shape[^1] == 1 ? outputs.Reshape(-1).Gt(0).To(DType.Int64) : outputs.ArgMax(-1);
    }

    // The most output values one evaluation pass holds (2 MB of float32, below the large-object heap, so each block's
    // temporaries are young garbage): a model with tens of thousands of classes is evaluated in row blocks, so
    // memory grows with the class count, not with examples x classes.
    private const long MaxOutputsAtOnce = 1L << 19;

    /// <summary>
    /// Loss and error on <paramref name="data"/>: in one pass when the outputs are small, else in blocks of rows whose
    /// outputs take at most a few megabytes, the loss averaged over the blocks by their row counts.
    /// </summary>
    public static EvaluationResult Evaluate(Module model, Loss criterion, TensorDataset data, TargetScaler? scaler)
    {
        ArgumentNullException.ThrowIfNull(criterion);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) return new EvaluationResult(double.NaN, double.NaN, double.NaN, [], 0);
        // The output width is the last Linear's (the networks mytorch builds end in one); else one row shows it.
        int width = model.NamedModules().Select(m => m.Module).OfType<Linear>().LastOrDefault()?.OutFeatures
            ?? Predict(model, data.Inputs.Narrow(0, 0, 1)).Shape[^1];
        int block = (int)Math.Clamp(MaxOutputsAtOnce / Math.Max(width, 1), 1, data.Count);
        if (block == data.Count) return EvaluateBlock(Predict(model, data.Inputs), criterion, data.Targets, scaler, data.Count);
        double loss = 0, error = 0, squared = 0;
        double[]? absolute = null, squares = null;
        var predictions = scaler is null ? new long[data.Count] : [];
        ForEachBatch(model, data.Inputs, block, (start, outputs) =>
        {
            int rows = outputs.Shape[0];
            var part = EvaluateBlock(outputs, criterion, data.Targets.Narrow(0, start, rows), scaler, rows);
            loss += part.Loss * rows;
            error += part.Error * rows;
            squared += part.MeanSquaredError * rows;
            part.Predictions.CopyTo(predictions, start);
            absolute ??= new double[part.PerTarget.Count];
            squares ??= new double[part.PerTarget.Count];
            for (int t = 0; t < part.PerTarget.Count; t++)
            {
                absolute[t] += part.PerTarget[t].MeanAbsoluteError * rows;
                squares[t] += part.PerTarget[t].RootMeanSquareError * part.PerTarget[t].RootMeanSquareError * rows;
            }
        });
        return new EvaluationResult(loss / data.Count, error / data.Count, scaler is null ? double.NaN : squared / data.Count, predictions, data.Count)
        {
            PerTarget = absolute is null ? [] : absolute.Select((a, t) => new TargetError(a / data.Count, Math.Sqrt(squares![t] / data.Count))).ToArray(),
        };
    }

    private static EvaluationResult EvaluateBlock(Tensor outputs, Loss criterion, Tensor targets, TargetScaler? scaler, int count)
    {
        using var _ = Autograd.NoGrad();
        double loss = criterion.Forward(outputs, LossTargets(outputs, targets)).Item();
        if (scaler is not null)
        {
            var difference = scaler.InverseTransform(outputs) - scaler.InverseTransform(targets);
            var meanAbsolute = difference.Abs().Reshape(count, -1).Mean(0).To(DType.Float64).ToArray<double>();
            var meanSquare = difference.Square().Reshape(count, -1).Mean(0).To(DType.Float64).ToArray<double>();
            return new EvaluationResult(loss, difference.Abs().Mean().Item(), difference.Square().Mean().Item(), [], count)
            {
                PerTarget = meanAbsolute.Select((a, t) => new TargetError(a, Math.Sqrt(meanSquare[t]))).ToArray(),
            };
        }
        var predicted = Classes(outputs);
        double error = 1 - predicted.Eq(targets.Reshape(-1)).Sum().Item() / count;
        return new EvaluationResult(loss, error, double.NaN, predicted.ToArray<long>(), count);
    }

    /// <summary>Targets in the form the loss expects: class indices, or a float column for a single binary logit.</summary>
    public static Tensor LossTargets(Tensor outputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.DType == DType.Int64 && outputs.Shape[^1] == 1) return targets.To(outputs.DType).Reshape(-1, 1);
        return targets;
    }
}

namespace MyTorch.Seed;

/// <summary>Per-epoch statistics of <see cref="Training.GetTrainingStats"/>, as seed 004 defines them.</summary>
/// <param name="TrainingLosses">The mean per-example training loss of each epoch, over its batches.</param>
/// <param name="TrainingErrors">The fraction of training examples misclassified during each epoch, estimated from the training batches as they were trained on.</param>
/// <param name="ValidationLosses">The mean per-example validation loss after each epoch, in evaluation mode.</param>
/// <param name="ValidationErrors">The fraction of validation examples misclassified after each epoch.</param>
public sealed record TrainingStats(double[] TrainingLosses, double[] TrainingErrors, double[] ValidationLosses, double[] ValidationErrors);

/// <summary>A labelled data set held as two tensors: inputs (n, features) and labels (one-hot (n, classes) or int64 (n,)).</summary>
/// <param name="X">The inputs.</param>
/// <param name="Y">The labels.</param>
public sealed record LabelledData(Tensor X, Tensor Y)
{
    /// <summary>The number of examples.</summary>
    public int Count => X.Shape[0];
}

/// <summary>Seed 004's training loop and its statistics.</summary>
public static class Training
{
    /// <summary>
    /// Trains <paramref name="mlp"/> for <paramref name="epochs"/> epochs in mini-batches of
    /// <paramref name="batchSize"/> (the last may be smaller), reshuffling the training set every epoch through
    /// <paramref name="generator"/> and zeroing gradients after every batch; after each epoch, evaluates on the
    /// validation set in evaluation mode. The test set is not used.
    /// </summary>
    public static TrainingStats GetTrainingStats(MLP mlp, (LabelledData Train, LabelledData Validation, LabelledData? Test) data,
        int epochs, int batchSize, Generator? generator = null, Action<int, TrainingStats>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(mlp);
        ArgumentNullException.ThrowIfNull(data.Train);
        ArgumentNullException.ThrowIfNull(data.Validation);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var gen = generator ?? Generator.Default;
        var (train, validation) = (data.Train, data.Validation);
        var stats = new TrainingStats(new double[epochs], new double[epochs], new double[epochs], new double[epochs]);
        var batches = new BatchBuffers();

        for (int epoch = 0; epoch < epochs; epoch++)
        {
            mlp.Train();
            var order = gen.Permutation(train.Count);
            double loss = 0, wrong = 0;
            for (int start = 0; start < order.Length; start += batchSize)
            {
                int count = Math.Min(batchSize, order.Length - start);
                var x = batches.Rows(train.X, order, start, count, 0);
                var y = batches.Rows(train.Y, order, start, count, 1);
                // ZeroGrads, Forward, Backward, Step, TotalLoss, Error, ZeroGrads: replayed after each shape's first batch.
                var (batchLoss, batchErrors) = mlp.TrainStep(x, y);
                loss += batchLoss;
                wrong += batchErrors;
            }
            stats.TrainingLosses[epoch] = loss / train.Count;
            stats.TrainingErrors[epoch] = wrong / train.Count;
            (stats.ValidationLosses[epoch], stats.ValidationErrors[epoch]) = Evaluate(mlp, validation, batchSize);
            onEpoch?.Invoke(epoch, stats);
        }
        mlp.Train();
        return stats;
    }

    /// <summary>The mean per-example loss and the error rate of <paramref name="mlp"/> on <paramref name="data"/>, in evaluation mode.</summary>
    public static (double Loss, double Error) Evaluate(MLP mlp, LabelledData data, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(mlp);
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = mlp.IsTraining;
        mlp.Eval();
        double loss = 0, wrong = 0;
        using (Autograd.NoGrad())
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                int count = Math.Min(batchSize, data.Count - start);
                var x = data.X.Narrow(0, start, count);
                var y = data.Y.Narrow(0, start, count);
                mlp.Forward(x);
                loss += mlp.TotalLoss(y);
                wrong += mlp.Error(y);
            }
        }
        mlp.Train(wasTraining);
        return (loss / Math.Max(data.Count, 1), wrong / Math.Max(data.Count, 1));
    }

    /// <summary>Reused tensors for the rows of each batch: one per source and batch size, so an epoch allocates none.</summary>
    private sealed class BatchBuffers
    {
        private readonly Dictionary<(int Source, int Rows), Tensor> buffers = [];

        public Tensor Rows(Tensor source, int[] order, int start, int count, int sourceIndex)
        {
            if (!buffers.TryGetValue((sourceIndex, count), out var buffer))
            {
                int[] shape = [count, .. source.Shape[1..]];
                buffer = Tensor.Zeros(shape, source.DType);
                buffers[(sourceIndex, count)] = buffer;
            }
            source.CopyRowsTo(order, start, count, buffer);
            return buffer;
        }
    }
}

namespace MyTorch.TrainingLoop;

/// <summary>
/// A metric that is a mean over examples, computed batch by batch from the model's outputs and the targets: the
/// trainer weights each batch's value by its rows, over the training batches (as <c>name</c>) and over the
/// validation batches (as <c>val_name</c>).
/// </summary>
/// <param name="Name">The metric's name in <see cref="EpochResult.Metrics"/>.</param>
/// <param name="BatchMean">The metric's mean over one batch, from (outputs, targets); called without gradient recording.</param>
public sealed record Metric(string Name, Func<Tensor, Tensor, double> BatchMean)
{
    /// <summary>The fraction of rows whose largest output is at the target class (targets: class indices).</summary>
    public static Metric Accuracy { get; } = new("accuracy", (outputs, targets) => 1 - ErrorRateOf(outputs, targets));

    /// <summary>The fraction of rows whose largest output is not at the target class.</summary>
    public static Metric ErrorRate { get; } = new("error", ErrorRateOf);

    /// <summary>The mean absolute difference between outputs and targets.</summary>
    public static Metric MeanAbsoluteError { get; } = new("mae", (outputs, targets) => (outputs - targets.Reshape(outputs.ShapeArray.ToArray())).Abs().Mean().Item());

    private static double ErrorRateOf(Tensor outputs, Tensor targets)
    {
        var predicted = outputs.ArgMax(1);
        return 1 - predicted.Eq(targets.Reshape(-1).To(predicted.DType)).Sum().Item() / outputs.Shape[0];
    }
}

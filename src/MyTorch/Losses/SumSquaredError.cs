namespace MyTorch.Losses;

/// <summary>
/// Seed 002's squared-error loss L = 1/2 sum_i (y_hat_i - y_i)^2: summed, not averaged (no 1/N), and halved so
/// that dL/dy_hat = y_hat - y. The sum over all elements by default.
/// </summary>
public sealed class SumSquaredError : Loss
{
    /// <summary>Creates the loss; the seed's default is the sum over all elements.</summary>
    public SumSquaredError(Reduction reduction = Reduction.Sum) : base(reduction) { }

    /// <summary>1/2 (input - target)^2, element-wise.</summary>
    public override Tensor PerElement(Tensor input, Tensor target) =>
        0.5 * MSELoss.SquaredError(nameof(SumSquaredError), input, target);
}

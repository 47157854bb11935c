using MyTorch.NN;

namespace MyTorch.Data;

/// <summary>
/// A per-column transform of regression targets, fitted on the training targets, so that columns with very
/// different ranges (an income in 0..10,000 next to an age in 0..100, seed 001 question 4) weigh alike in the loss.
/// Train on <see cref="Transform"/>ed targets; map predictions back with <see cref="InverseTransform"/>.
/// </summary>
public interface ITargetScaler
{
    /// <summary>The scaler's kind as <see cref="TargetScaler.Create"/> spells it.</summary>
    string Name { get; }

    /// <summary>Whether the statistics are known, so <see cref="Transform"/> can run.</summary>
    bool IsFitted { get; }

    /// <summary>Learns each column's statistics from training targets of shape (n, k) (or (n,): one column); returns this scaler.</summary>
    ITargetScaler Fit(Tensor targets);

    /// <summary>Scales targets of shape (n, k) or (k), column by column.</summary>
    Tensor Transform(Tensor targets);

    /// <summary>Undoes <see cref="Transform"/>: maps scaled values (network outputs) back to target units.</summary>
    Tensor InverseTransform(Tensor scaled);

    /// <summary>The fitted statistics and the kind, for saving next to the model.</summary>
    StateDict ToStateDict();
}

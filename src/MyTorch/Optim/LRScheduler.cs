using System.Globalization;
using MyTorch.NN;

namespace MyTorch.Optim;

/// <summary>
/// The base of learning-rate schedules: a closed-form learning rate for every epoch, computed from each
/// group's <see cref="ParameterGroup.InitialLearningRate"/>. Call <see cref="Step"/> once per epoch (or once
/// per batch, counting "epochs" in batches), after the optimizer's step, as in PyTorch. Creating a scheduler
/// sets the epoch-0 learning rate. Because each learning rate is a function of the epoch alone, schedules do
/// not chain: the last one to step decides the learning rate.
/// </summary>
public abstract class LRScheduler
{
    /// <summary>Attaches to <paramref name="optimizer"/> and sets every group's learning rate for epoch 0.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
    }

    /// <summary>The optimizer whose learning rates this schedule sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The number of <see cref="Step"/> calls so far (PyTorch's <c>last_epoch</c>): the epoch whose learning rates are set.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Each group's learning rate as this schedule last set it (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLearningRates => Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();

    /// <summary>Advances one epoch and sets every group's learning rate for it; one that throws changes nothing.</summary>
    public void Step() => SetEpoch(LastEpoch + 1);

    /// <summary>The learning rate at <paramref name="epoch"/> of a group that started at <paramref name="initialLearningRate"/>.</summary>
    public abstract double LearningRateAt(double initialLearningRate, int epoch);

    /// <summary>The scheduler's type and <see cref="LastEpoch"/>, as metadata, to save next to the optimizer's state dict.</summary>
    public StateDict StateDict()
    {
        var dict = new StateDict();
        dict.Metadata["scheduler"] = GetType().Name;
        dict.Metadata["last_epoch"] = LastEpoch.ToString(CultureInfo.InvariantCulture);
        return dict;
    }

    /// <summary>Restores <see cref="LastEpoch"/> from <see cref="StateDict"/> and sets that epoch's learning rates.</summary>
    public void LoadStateDict(StateDict dict)
    {
        ArgumentNullException.ThrowIfNull(dict);
        string name = GetType().Name;
        if (dict.Metadata.TryGetValue("scheduler", out var saved) && saved != name)
            throw new ArgumentException($"{name}.LoadStateDict: the state dict is from a {saved} scheduler.", nameof(dict));
        if (!dict.Metadata.TryGetValue("last_epoch", out var text)
            || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int epoch))
            throw new ArgumentException($"{name}.LoadStateDict: 'last_epoch' is missing or not a non-negative integer: '{text}'.", nameof(dict));
        SetEpoch(epoch);
    }

    /// <summary>Sets every group's learning rate for <see cref="LastEpoch"/>. Derived constructors call it once their fields are set.</summary>
    protected void Apply() => SetEpoch(LastEpoch);

    /// <summary>Sets <see cref="LastEpoch"/> and the learning rates for it, once every one of them is known to be valid.</summary>
    private void SetEpoch(int epoch)
    {
        var groups = Optimizer.ParamGroups;
        // Computed twice instead of kept in a list: a schedule stepped every batch should not allocate.
        for (int g = 0; g < groups.Count; g++)
        {
            double rate = LearningRateAt(groups[g].InitialLearningRate, epoch);
            if (!(rate >= 0) || double.IsInfinity(rate))
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"{GetType().Name}: the learning rate of group {g} at epoch {epoch} would be {rate}; nothing was changed."));
        }
        for (int g = 0; g < groups.Count; g++)
            groups[g].LearningRate = LearningRateAt(groups[g].InitialLearningRate, epoch);
        LastEpoch = epoch;
        EpochSet(epoch);
    }

    /// <summary>Called once the learning rates for <paramref name="epoch"/> are set, for a schedule that also sets other options (momentum).</summary>
    protected virtual void EpochSet(int epoch) { }
}

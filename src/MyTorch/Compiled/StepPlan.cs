using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Compiled;

/// <summary>
/// A <see cref="CompiledTrainingStep"/>'s model, loss and optimizer, and the recorded programs of its step: the first
/// step on a batch shape runs through the dynamic graph while a <see cref="Recording"/> keeps every launch its forward
/// and backward passes make; later steps of that shape replay them.
/// </summary>
internal sealed class StepPlan(Module model, Loss criterion, Optimizer optimizer)
{
    private readonly ReplayCache<(Tensor Loss, Tensor Outputs)> programs = new();
    private Tensor? lastOutputs;

    public Module Model { get; } = model;

    public Loss Criterion { get; } = criterion;

    public Optimizer Optimizer { get; } = optimizer;

    /// <summary>Why the steps run on the dynamic graph instead of a replay; null while they replay.</summary>
    public string? NotPlannedReason => Model.HooksReason() ?? notPlannedReason;

    private string? notPlannedReason;

    /// <summary>The model's outputs for the last batch run; null before the first.</summary>
    public Tensor? Outputs => lastOutputs;

    /// <summary>The plan for the model, or null with the reason it cannot be planned at all.</summary>
    public static StepPlan? TryCreate(Module model, Loss criterion, Optimizer optimizer, out string? reason)
    {
        if (criterion.Reduction == Reduction.None)
        {
            reason = "a loss with Reduction.None gives no single loss to differentiate.";
            return null;
        }
        reason = null;
        return new StepPlan(model, criterion, optimizer);
    }

    /// <summary>
    /// The step through the dynamic graph. Stops before Backward when the loss is not finite, as the replay does.
    /// </summary>
    public double GraphStep(Tensor inputs, Tensor targets)
    {
        Optimizer.ZeroGrad();
        var outputs = Model.Call(inputs);
        var loss = Criterion.Forward(outputs, targets);
        lastOutputs = outputs.Detach();
        double value = loss.Item();
        if (!double.IsFinite(value)) return value;
        loss.Backward();
        Optimizer.Step();
        return value;
    }

    public double Run(Tensor inputs, Tensor targets)
    {
        if (notPlannedReason is not null || Model.HasHooks()) return GraphStep(inputs, targets);
        var program = programs.Find(inputs, targets, Model.IsTraining, out var result);
        if (program is null) return Record(inputs, targets);

        program.Bind(inputs, targets);
        Optimizer.ZeroGrad();
        program.Run(0);
        lastOutputs = result.Outputs;
        double loss = result.Loss.GetDouble(0);
        if (!double.IsFinite(loss)) return loss;
        program.Run(1);
        Optimizer.Step();
        return loss;
    }

    /// <summary>A step through the graph that also records it; keeps the program when it can be replayed.</summary>
    private double Record(Tensor inputs, Tensor targets)
    {
        Optimizer.ZeroGrad();
        Tensor[] placeholders = [inputs.Detach(), targets.Detach()];
        Tensor loss, outputs;
        double value;
        ReplayProgram? replay;
        string? reason;
        using (Recording.Start(out var recording))
        {
            outputs = Model.Call(placeholders[0]);
            loss = Criterion.Forward(outputs, placeholders[1]);
            var forward = recording.TakeLaunches();
            using (recording.Suspend())
            {
                value = loss.Item();
                lastOutputs = outputs.Detach();
            }
            if (!double.IsFinite(value)) return value;
            loss.Backward();
            replay = ReplayProgram.Create(recording, placeholders, [forward, recording.TakeLaunches()], out reason);
        }
        Optimizer.Step();
        if (replay is null)
        {
            notPlannedReason = reason;
            programs.Clear();
            return value;
        }
        programs.Add(replay, Model.IsTraining, (loss, lastOutputs));
        return value;
    }
}

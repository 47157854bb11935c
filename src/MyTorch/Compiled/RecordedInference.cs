using MyTorch.NN;

namespace MyTorch.Compiled;

/// <summary>
/// The evaluation-mode forward pass of any model, recorded once per input shape and replayed: what
/// <see cref="CompiledInference"/> runs for a model that is not a plain chain of layers. The first batch of a shape runs
/// through the model (in evaluation mode, without gradients) while a <see cref="Recording"/> keeps its launches; later
/// batches of that shape replay them into the same tensors, with the same numbers and without allocating.
/// </summary>
internal sealed class RecordedInference(Module model)
{
    private readonly ReplayCache<Tensor> programs = new();
    private FrozenWeights? frozen;

    /// <summary>Whether runs multiply from packed copies of the weights (<see cref="CompiledInference.FreezeWeights"/>).</summary>
    public bool WeightsFrozen => frozen is not null;

    /// <summary>Runs from now on multiply from copies of the weights packed at the next run, until <see cref="Unfreeze"/>.</summary>
    public void Freeze() => frozen = new FrozenWeights();

    /// <summary>Runs read the live weights again.</summary>
    public void Unfreeze() => frozen = null;

    /// <summary>Why runs go through the model's forward instead of a replay; null while they replay.</summary>
    public string? NotPlannedReason => model.HooksReason() ?? notPlannedReason;

    private string? notPlannedReason;

    /// <summary>The element type of the model's first parameter (float32 for a model without parameters).</summary>
    public DType DType { get; } = model.Parameters().FirstOrDefault()?.DType ?? DType.Float32;

    /// <summary>The outputs for <paramref name="inputs"/>; a tensor the next run of the same shape overwrites.</summary>
    public Tensor Run(Tensor inputs)
    {
        using var weights = frozen?.Use();
        bool replayable = notPlannedReason is null && !model.HasHooks();
        if (replayable && programs.Find(inputs, null, training: false, out var outputs) is { } program)
        {
            program.Bind(inputs);
            program.Run(0);
            return outputs;
        }
        return Record(inputs);
    }

    private Tensor Record(Tensor inputs)
    {
        // Evaluation mode for the recording only; each module's own flag is put back (parents first, so children win).
        var flags = model.NamedModules().Select(named => (named.Module, named.Module.IsTraining)).ToArray();
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            if (NotPlannedReason is not null) return model.Call(inputs);
            Tensor[] placeholders = [inputs.Detach()];
            Tensor outputs;
            ReplayProgram? replay;
            string? reason;
            using (Recording.Start(out var recording))
            {
                outputs = model.Call(placeholders[0]).Detach();
                replay = ReplayProgram.Create(recording, placeholders, [recording.TakeLaunches()], out reason);
            }
            if (replay is null) notPlannedReason = reason;
            else programs.Add(replay, training: false, outputs);
            return outputs;
        }
        finally
        {
            foreach (var (module, training) in flags) module.Train(training);
        }
    }
}

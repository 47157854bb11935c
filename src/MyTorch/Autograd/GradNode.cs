namespace MyTorch;

/// <summary>
/// Computes the gradients of an op's inputs from the gradient of its output. Returns one entry per input,
/// each with that input's shape, or null where the input needs no gradient.
/// </summary>
public delegate Tensor?[] BackwardFunction(Tensor gradOutput);

/// <summary>Which of an op's tensors its backward pass reads, so that an in-place change of one of them is caught.</summary>
[Flags]
internal enum SavedTensors
{
    /// <summary>The backward reads none of them (add, sum, a view): changing them in place later is harmless.</summary>
    None = 0,

    /// <summary>The backward reads the inputs (mul: each operand's gradient is the other).</summary>
    Inputs = 1,

    /// <summary>The backward reads the output (exp: the derivative is the output).</summary>
    Output = 2,

    /// <summary>The backward may read its inputs and its output (the default).</summary>
    InputsAndOutput = Inputs | Output,
}

/// <summary>
/// One recorded operation in the computational graph: its name, its inputs, and how to send a gradient
/// back to them. Every tensor made by a differentiable op while recording is enabled points to its node.
/// </summary>
public sealed class GradNode
{
    private static long lastSequence;

    private readonly Tensor[] inputs;
    private BackwardFunction? backward;
    private readonly Tensor? savedOutput;
    private readonly bool savesInputs;
    // The versions of the saved tensors when the op ran (inputs, then the output); null when all were 0, the usual case.
    private readonly int[]? savedVersions;

    internal GradNode(string name, Tensor[] inputs, BackwardFunction backward, Tensor? output = null,
        SavedTensors saved = SavedTensors.InputsAndOutput)
    {
        Name = name;
        this.inputs = inputs;
        this.backward = backward;
        Sequence = Interlocked.Increment(ref lastSequence);
        savesInputs = (saved & SavedTensors.Inputs) != 0;
        savedOutput = (saved & SavedTensors.Output) != 0 ? output : null;
        if (savesInputs || savedOutput is not null) savedVersions = VersionsIfAnyChanged();
        if (AnomalyMode.IsEnabled) CreationTrace = Environment.StackTrace;
    }

    /// <summary>The op's name, as in error messages and graph drawings (for example "matmul", "sigmoid").</summary>
    public string Name { get; }

    /// <summary>The tensors the op was applied to, in order (as they were then, for a tensor changed in place since).</summary>
    public IReadOnlyList<Tensor> Inputs => InputArray;

    /// <summary>Where the op was created, recorded only while anomaly detection is on.</summary>
    public string? CreationTrace { get; }

    /// <summary>Whether the saved values were freed by a backward pass that did not retain the graph.</summary>
    public bool IsReleased => backward is null;

    /// <summary>When the node was made, in the order of all nodes and in-place changes: which version of an input it saw.</summary>
    internal long Sequence { get; }

    /// <summary>A number from the sequence nodes are numbered by, for an in-place change to remember when it happened.</summary>
    internal static long NextSequence() => Interlocked.Increment(ref lastSequence);

    /// <summary>The inputs as this op saw them: an input changed in place by an op recorded later is its earlier version.</summary>
    internal Tensor[] InputArray
    {
        get
        {
            Tensor[]? resolved = null;
            for (int i = 0; i < inputs.Length; i++)
            {
                var seen = inputs[i].VersionSeenBy(Sequence);
                if (ReferenceEquals(seen, inputs[i])) continue;
                resolved ??= (Tensor[])inputs.Clone();
                resolved[i] = seen;
            }
            return resolved ?? inputs;
        }
    }

    internal Tensor?[] Apply(Tensor gradOutput)
    {
        if (backward is null)
            throw new InvalidOperationException(
                $"Trying to backward through the graph a second time (at op '{Name}'): its saved values were freed by the first " +
                "backward pass. Pass retainGraph: true to the first Backward (or Grad) call to backward through it again.");
        if (savesInputs || savedOutput is not null) CheckSavedVersions();
        return backward(gradOutput);
    }

    internal void Release() => backward = null;

    private int[]? VersionsIfAnyChanged()
    {
        bool any = savedOutput is { Version: not 0 };
        if (savesInputs)
            foreach (var input in inputs) any |= input.Version != 0;
        if (!any) return null;
        var versions = new int[inputs.Length + 1];
        for (int i = 0; i < inputs.Length; i++) versions[i] = inputs[i].Version;
        versions[^1] = savedOutput?.Version ?? 0;
        return versions;
    }

    private void CheckSavedVersions()
    {
        for (int i = savesInputs ? 0 : inputs.Length; i <= inputs.Length; i++)
        {
            var tensor = i < inputs.Length ? inputs[i] : savedOutput;
            if (tensor is null) continue;
            int expected = savedVersions?[i] ?? 0;
            if (tensor.Version == expected) continue;
            string which = i < inputs.Length ? $"input {i + 1}" : "output";
            throw new InvalidOperationException(
                $"Backward of '{Name}': one of the tensors it needs for the gradient, its {which} ({Autograd.Describe(tensor)}), was " +
                $"modified by an in-place operation after the op saved it: it is at version {tensor.Version}, expected version " +
                $"{expected}. Change a clone of it instead, or compute the gradient before changing it.");
        }
    }
}

namespace MyTorch;

/// <summary>
/// Computes the gradients of an op's inputs from the gradient of its output. Returns one entry per input,
/// each with that input's shape, or null where the input needs no gradient.
/// </summary>
public delegate Tensor?[] BackwardFunction(Tensor gradOutput);

/// <summary>
/// One recorded operation in the computational graph: its name, its inputs, and how to send a gradient
/// back to them. Every tensor made by a differentiable op while recording is enabled points to its node.
/// </summary>
public sealed class GradNode
{
    private readonly Tensor[] inputs;
    private BackwardFunction? backward;

    internal GradNode(string name, Tensor[] inputs, BackwardFunction backward)
    {
        Name = name;
        this.inputs = inputs;
        this.backward = backward;
        if (AnomalyMode.IsEnabled) CreationTrace = Environment.StackTrace;
    }

    /// <summary>The op's name, as in error messages and graph drawings (for example "matmul", "sigmoid").</summary>
    public string Name { get; }

    /// <summary>The tensors the op was applied to, in order.</summary>
    public IReadOnlyList<Tensor> Inputs => inputs;

    /// <summary>Where the op was created, recorded only while anomaly detection is on.</summary>
    public string? CreationTrace { get; }

    /// <summary>Whether the saved values were freed by a backward pass that did not retain the graph.</summary>
    public bool IsReleased => backward is null;

    internal Tensor[] InputArray => inputs;

    internal Tensor?[] Apply(Tensor gradOutput)
    {
        if (backward is null)
            throw new InvalidOperationException(
                $"Trying to backward through the graph a second time (at op '{Name}'): its saved values were freed by the first " +
                "backward pass. Pass retainGraph: true to the first Backward (or Grad) call to backward through it again.");
        return backward(gradOutput);
    }

    internal void Release() => backward = null;
}

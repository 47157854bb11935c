namespace MyTorch;

/// <summary>
/// The extension point for user-defined differentiable operations, like <c>torch.autograd.Function</c>:
/// write the forward computation and its hand-derived backward; <see cref="Apply"/> records it in the graph.
/// </summary>
/// <remarks>
/// Create a new instance per application and keep what backward needs in its fields (the analogue of
/// PyTorch's <c>ctx.save_for_backward</c>). Forward runs with gradient recording off.
/// </remarks>
/// <example>
/// <code>
/// sealed class Cube : AutogradFunction
/// {
///     Tensor? x;
///     protected override Tensor Forward(Tensor[] inputs) { x = inputs[0]; return x * x * x; }
///     protected override Tensor?[] Backward(Tensor gradOutput) => [gradOutput * 3 * x! * x!];
/// }
/// var y = new Cube().Apply(x);
/// </code>
/// </example>
public abstract class AutogradFunction
{
    private Tensor[]? inputs;

    /// <summary>The name shown in graph drawings and error messages; the type name by default.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Computes the output from the inputs. Runs with gradient recording off.</summary>
    protected abstract Tensor Forward(Tensor[] inputs);

    /// <summary>
    /// Given dLoss/dOutput, returns dLoss/dInput for each input, in order, each with that input's shape
    /// (null where an input needs no gradient; see <see cref="NeedsInputGrad"/>).
    /// </summary>
    protected abstract Tensor?[] Backward(Tensor gradOutput);

    /// <summary>The inputs of the call to <see cref="Apply"/>.</summary>
    protected IReadOnlyList<Tensor> Inputs => inputs ?? [];

    /// <summary>Whether input <paramref name="index"/> needs a gradient, so backward can skip work for the others.</summary>
    protected bool NeedsInputGrad(int index) => inputs is not null && inputs[index].RequiresGrad;

    /// <summary>Runs <see cref="Forward"/> and, when an input requires grad, records the op with <see cref="Backward"/>.</summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (this.inputs is not null)
            throw new InvalidOperationException($"{Name}: an AutogradFunction instance can be applied once; create a new one per call.");
        this.inputs = (Tensor[])inputs.Clone();
        Tensor output;
        using (Autograd.NoGrad())
            output = Forward(this.inputs);
        if (output is null)
            throw new InvalidOperationException($"{Name}.Forward returned null.");
        // An output that is one of the inputs (or shares a graph node) must become a tensor of its own.
        if (!output.IsLeaf || Array.Exists(this.inputs, i => ReferenceEquals(i, output)))
            output = output.Detach();
        return Autograd.Record(output, Name, this.inputs, g =>
        {
            var grads = Backward(g);
            if (grads is null || grads.Length != this.inputs.Length)
                throw new InvalidOperationException(
                    $"{Name}.Backward returned {grads?.Length ?? 0} gradients for {this.inputs.Length} inputs.");
            return grads;
        });
    }
}

namespace MyTorch.NN;

/// <summary>
/// Named tensors in a fixed order, with PyTorch's dotted keys (<c>0.weight</c>, <c>fc1.bias</c>), plus
/// string metadata for values that are not tensors (hyper-parameters, step counts).
/// </summary>
#pragma warning disable CA1710 // "StateDict" is the name PyTorch users know.
public sealed class StateDict : OrderedDictionary<string, Tensor>
#pragma warning restore CA1710
{
    /// <summary>Creates an empty state dict.</summary>
    public StateDict() : base(StringComparer.Ordinal) { }

    /// <summary>Values that are not tensors, such as an optimizer's learning rate.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>A deep copy: every tensor gets its own storage, so later training does not change it.</summary>
    public StateDict Snapshot()
    {
        var copy = new StateDict();
        using (Autograd.NoGrad())
            foreach (var (key, value) in this) copy.Add(key, value.Detach().Clone());
        foreach (var (key, value) in Metadata) copy.Metadata[key] = value;
        return copy;
    }
}

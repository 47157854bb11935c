namespace MyTorch.NN;

/// <summary>
/// The hidden-layer activations by the names the CLI and model specs use (<c>relu</c>, <c>leaky-relu</c>, ...): every
/// element-wise op declared with a module (see docs/adding-an-op.md), plus <c>identity</c>.
/// </summary>
public static class ActivationModules
{
    private static readonly Lazy<string[]> names = new(() =>
        [.. Ops.OpRegistry.Activations.Select(op => op.ActivationName!), "identity"]);

    /// <summary>Every activation name, in alphabetical order of the ops, then <c>identity</c>.</summary>
    public static IReadOnlyList<string> Names => names.Value;

    /// <summary>A new module for the activation <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No activation has that name (the message lists those that do).</exception>
    public static Module Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == "identity") return new Identity();
        foreach (var op in Ops.OpRegistry.Activations)
            if (op.ActivationName == name) return op.CreateModule()!;
        throw new ArgumentException($"Unknown activation '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name));
    }
}
